// The runtime's optional peer packages (onnxruntime-web for the onnx backend, @huggingface/tokenizers for
// tokenizers that are not plain WordPiece), imported at run time, by name, only when asked for.
// The specifier is a variable on purpose: bundlers leave this import alone, so a page that uses only the flat
// backend never bundles (nor needs installed) either package. Browsers resolve the name through the page's
// import map, Node.js through node_modules; with a bundler, pass the module yourself (`ort` option).

/**
 * Import the optional peer NAME; a one-line error saying how to get it when it cannot be loaded.
 * @param {string} name a bare specifier, e.g. "onnxruntime-web/wasm"
 * @param {string} why what needs it, for the error message
 */
export async function importPeer(name, why) {
  try {
    return await import(/* webpackIgnore: true */ /* @vite-ignore */ name);
  } catch (e) {
    const pkg = name.startsWith("@") ? name.split("/").slice(0, 2).join("/") : name.split("/")[0];
    throw new Error(`${why} needs the optional peer package ${pkg}: \`npm install ${pkg}\` (in a page: an import map entry for "${name}"; `
      + `with a bundler: pass the module in the options) (${e && e.message ? e.message : e})`);
  }
}

/**
 * A new instance of the module NAME (its resolved URL with QUERY added: another URL is another instance), or
 * null when it cannot be had (no import.meta.resolve, or the import fails).
 * @param {string} name a bare specifier
 * @param {string} query a query string without "?"
 * @returns {Promise<any>}
 */
export async function importFresh(name, query) {
  try {
    const url = import.meta.resolve(name);
    const fresh = url + (url.includes("?") ? "&" : "?") + query;
    return await import(/* webpackIgnore: true */ /* @vite-ignore */ fresh);
  } catch {
    return null;
  }
}
