// What React Native's bundler (Metro) loads in place of peers.mjs and pool.mjs (package.json "react-native").
// Metro refuses to bundle import() of a computed name (peers.mjs), and Hermes refuses to compile import.meta
// (pool.mjs); React Native has neither import maps nor Web Workers for them to serve. Metro's resolver follows
// the "react-native" field, Node.js, browsers and web bundlers ignore it.

/** peers.mjs's importPeer: React Native cannot import a package by a computed name, so the caller passes it. */
export async function importPeer(name, why) {
  const pkg = name.startsWith("@") ? name.split("/").slice(0, 2).join("/") : name.split("/")[0];
  throw new Error(`${why} needs the optional peer package ${pkg}, which React Native cannot import by name: `
    + "pass the module in the options (`ort`, or `loadLibrary: () => import(\"@huggingface/tokenizers\")`)");
}

/** peers.mjs's importFresh: React Native has no module URLs to make a second instance from. */
export async function importFresh() {
  return null;
}

/** pool.mjs's FlatPool: never constructed here (no Worker in React Native: fromArtifacts stays on the calling thread). */
export class FlatPool {
  constructor() {
    throw new Error("the flat backend's worker pool needs Web Workers, which React Native lacks");
  }
}
