// Build app.js the way a React Native app's release build does, and compile it with Hermes:
//   Metro (React Native's bundler, with @react-native/metro-config's defaults and @react-native/babel-preset)
//   -> one bundle per transform profile -> hermesc (the compiler a current React Native release uses).
// The Hermes VM with a shell (npm hermes-engine-cli) is an older Hermes whose bytecode version differs, so the
// bundle it runs is compiled by that VM's own hermesc, from the same Metro output (run.mjs).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const WEB = resolve(HERE, "..", "..");
const NODE_MODULES = join(WEB, "node_modules");
const require = createRequire(import.meta.url);

/**
 * The transform profiles: "default" is what `react-native bundle` (the Gradle and Xcode release builds of a bare
 * React Native app) passes; "hermes-stable" is the Hermes V1 profile (Expo's, and @react-native/babel-preset's own
 * default), which keeps classes and generators.
 */
export const PROFILES = ["default", "hermes-stable"];

/** The files Metro reads besides the app: the runtime package and the node_modules the bundle requires. */
const WATCHED = ["base64-js", "metro-runtime", "@babel/runtime", "@react-native/js-polyfills"];

/** A binary of an npm package shipped per platform (linux64-bin, osx-bin, win64-bin). */
function packageBinary(pkgDir, name) {
  const plat = { linux: "linux64-bin", darwin: "osx-bin", win32: "win64-bin" }[process.platform];
  const file = join(pkgDir, plat ?? "none", process.platform === "win32" ? `${name}.exe` : name);
  if (!plat || !existsSync(file)) throw new Error(`no ${name} for ${process.platform} in ${pkgDir} (cd web && npm ci)`);
  return file;
}

/** The current hermesc (npm hermes-compiler, the version react-native pins) and the VM shell's hermes and hermesc. */
export const TOOLS = {
  hermesc: () => packageBinary(join(NODE_MODULES, "hermes-compiler", "hermesc"), "hermesc"),
  vm: () => packageBinary(join(NODE_MODULES, "hermes-engine-cli"), "hermes"),
  vmHermesc: () => packageBinary(join(NODE_MODULES, "hermes-engine-cli"), "hermesc"),
};

/** "Hermes release version: X" of a Hermes binary, and its bytecode version. */
export function hermesVersion(binary) {
  const text = execFileSync(binary, ["-version"], { encoding: "utf8" });
  return { release: /release version: (\S+)/.exec(text)?.[1] ?? null, bytecode: Number(/bytecode version: (\d+)/.exec(text)?.[1]) };
}

/** A React Native app folder in APPDIR: package.json, app.js (the code docs/mobile.md shows) and main.js (its entry here). */
export function writeApp(appDir) {
  mkdirSync(appDir, { recursive: true });
  writeFileSync(join(appDir, "package.json"), JSON.stringify({ name: "edgembed-rn-app", version: "0.0.0", private: true }));
  for (const f of ["app.js", "main.js"]) copyFileSync(join(HERE, f), join(appDir, f));
}

/** The Metro config of an app: @react-native/metro-config's defaults, and what this host changes (commented). */
function metroConfig(appDir, cacheDir) {
  const { getDefaultConfig, mergeConfig } = require("@react-native/metro-config");
  const base = getDefaultConfig(appDir);
  return mergeConfig(base, {
    projectRoot: appDir,
    // the app's node_modules: "edgembed" is web/runtime (its package.json, "react-native" field included)
    watchFolders: [appDir, join(WEB, "runtime"), ...WATCHED.map((p) => join(NODE_MODULES, p))],
    resolver: { extraNodeModules: { edgembed: join(WEB, "runtime") }, nodeModulesPaths: [NODE_MODULES] },
    // react-native/setup-env installs React Native's native bridges, which a bare VM does not have
    serializer: { getModulesRunBeforeMainModule: () => [] },
    cacheStores: [], // no transform cache shared between runs
    resetCache: true,
    fileMapCacheDirectory: cacheDir,
    reporter: { update() {} },
    maxWorkers: 1,
  });
}

/**
 * Bundle APPDIR/main.js with Metro for Android, release (dev false, minified), in transform PROFILE.
 * @returns {Promise<string>} the bundle's path
 */
export async function metroBundle(appDir, profile, out) {
  const Metro = require("metro");
  const cacheDir = join(dirname(out), ".metro-file-map");
  mkdirSync(cacheDir, { recursive: true });
  await Metro.runBuild(metroConfig(appDir, cacheDir), {
    entry: "main.js", out, platform: "android", dev: false, minify: true, unstable_transformProfile: profile,
  });
  return out.endsWith(".js") ? out : `${out}.js`;
}

/** Compile SOURCE to bytecode with HERMESC (-O, as React Native's release build); a one-line error if it refuses. */
export function compile(hermesc, source, out) {
  try {
    execFileSync(hermesc, ["-O", "-emit-binary", "-out", out, source], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const first = String(e.stderr || e.message).split("\n").find((l) => /error/.test(l)) ?? String(e.stderr).split("\n")[0];
    throw new Error(`${hermesc.split(/[\\/]/).slice(-3).join("/")} refused ${source}: ${first}`);
  }
  return statSync(out).size;
}
