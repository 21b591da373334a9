// WebKit for engine_host.mjs: WebKitGTK's MiniBrowser driven by WebKitWebDriver (classic WebDriver, through
// selenium-webdriver) on a private Xvfb display; nothing is downloaded.
//  - Each page is its own WebKitWebDriver + MiniBrowser session with fresh XDG data and cache folders (a fresh
//    context, like the other engines' pages), pointed at its own recording proxy (engine_proxy.mjs): requests,
//    blocking of anything but 127.0.0.1, and the probe that reports console and page errors.
//  - MiniBrowser's toolbar keeps its window at least 447 px wide: a GTK user stylesheet (XDG_CONFIG_HOME/gtk-3.0/
//    gtk.css) shrinks it to nothing, so the web view can be 320 px. Resizes land asynchronously: setViewport waits.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder } from "selenium-webdriver";
import { newRecord, oneLine, pageExpression, pageResult, SIZE_FN } from "./engine_common.mjs";
import { probeSource, startProxy } from "./engine_proxy.mjs";

const GTK_CSS = "* { min-width: 0; min-height: 0; margin: 0; padding: 0; border-width: 0; font-size: 1px; -gtk-icon-transform: scale(0.01); }\n";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM PROC, SIGKILL after 5 s; resolves once it exited. */
function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    proc.once("exit", () => { clearTimeout(timer); resolve(); });
    proc.kill("SIGTERM");
  });
}

/** Remove a temporary tree; a web process that is still exiting may write into it, so retry, then leave it. */
function removeTree(dir) {
  try { rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }); } catch { /* left in the temp folder */ }
}

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** Start Xvfb on a free display (-displayfd); resolves to {display, proc}. */
function startXvfb(xvfb, timeoutMs) {
  return new Promise((resolve, reject) => {
    const proc = spawn(xvfb, ["-displayfd", "3", "-screen", "0", "1920x2000x24", "-nolisten", "tcp", "-noreset"],
      { stdio: ["ignore", "ignore", "pipe", "pipe"] });
    let err = "";
    proc.stderr.on("data", (d) => { err += d; });
    const timer = setTimeout(() => { proc.kill("SIGKILL"); reject(new Error(`Xvfb did not start in ${timeoutMs} ms`)); }, timeoutMs);
    proc.stdio[3].on("data", (d) => { clearTimeout(timer); resolve({ display: `:${String(d).trim()}`, proc }); });
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`Xvfb exited (${code}): ${err.trim().split("\n").pop() ?? ""}`)); });
  });
}

/** Start WebKitWebDriver on a free port with ENV; resolves once it accepts connections. */
async function startDriver(binary, env, timeoutMs) {
  const port = await freePort();
  const proc = spawn(binary, [`--port=${port}`], { stdio: ["ignore", "ignore", "pipe"], env });
  let err = "";
  proc.stderr.on("data", (d) => { err = (err + d).slice(-4000); });
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`WebKitWebDriver exited (${proc.exitCode}): ${err.trim().split("\n").pop() ?? ""}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      if (r.ok) return { url: `http://127.0.0.1:${port}`, proc, stderr: () => err };
    } catch { /* not listening yet */ }
    if (Date.now() - t0 > timeoutMs) throw new Error(`WebKitWebDriver did not answer in ${timeoutMs} ms`);
    await sleep(50);
  }
}

export async function launch({ executable, driver: driverBinary, xvfb, timeoutMs }) {
  const root = mkdtempSync(join(tmpdir(), "edgembed-webkit-"));
  mkdirSync(join(root, "config", "gtk-3.0"), { recursive: true });
  writeFileSync(join(root, "config", "gtk-3.0", "gtk.css"), GTK_CSS);
  const x = await startXvfb(xvfb, timeoutMs);
  const procs = new Set([x.proc]);
  let pageNo = 0;
  const version = await new Promise((resolve) => {
    const p = spawn(executable, ["--version"], { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, DISPLAY: x.display } });
    let out = "";
    p.stdout.on("data", (d) => { out += d; });
    p.on("exit", () => resolve(`webkitgtk/${(out.match(/[\d.]+/) ?? ["?"])[0]}`));
    p.on("error", () => resolve("webkitgtk/?"));
  });

  async function newPage({ width = 1280, height = 900, initScript = null } = {}) {
    const dir = join(root, `page-${++pageNo}`);
    const env = { ...process.env, DISPLAY: x.display, XDG_CONFIG_HOME: join(root, "config"),
      XDG_DATA_HOME: join(dir, "data"), XDG_CACHE_HOME: join(dir, "cache"), GDK_BACKEND: "x11" };
    const rec = newRecord();
    const seen = new Set();
    const take = (e) => { // a probe entry, from a beacon or read from the page: each one once
      const key = `${e?.doc}:${e?.seq}`;
      if (seen.has(key) || typeof e?.text !== "string") return;
      seen.add(key);
      (e.kind === "console" ? rec.consoleErrors : e.kind === "dialog" ? rec.dialogs : rec.pageErrors).push(e.text);
    };
    const proxy = await startProxy(rec, take, initScript ?? "");
    const drv = await startDriver(driverBinary, env, timeoutMs);
    procs.add(drv.proc);
    let session;
    try {
      session = await new Builder().usingServer(drv.url).withCapabilities({
        browserName: "MiniBrowser",
        proxy: { proxyType: "manual", httpProxy: `127.0.0.1:${proxy.port}`, sslProxy: `127.0.0.1:${proxy.port}`, noProxy: [] },
        timeouts: { script: timeoutMs, pageLoad: timeoutMs, implicit: 0 },
        "webkitgtk:browserOptions": { binary: executable, args: ["--automation"] },
      }).build();
    } catch (e) {
      drv.proc.kill("SIGKILL");
      await proxy.close();
      throw new Error(`WebKitWebDriver could not start MiniBrowser: ${oneLine(e)} ${drv.stderr().trim().split("\n").pop() ?? ""}`.trim());
    }
    const raw = async (fn, args) => session.executeAsyncScript(
      `const done = arguments[arguments.length - 1]; ${pageExpression(fn, args)}.then(done, (e) => done(JSON.stringify({ error: String(e) })));`);
    const evaluate = async (fn, args) => pageResult(await raw(fn, args));
    const collect = async () => { // the current document's probe entries (beacons may still be on their way)
      const got = JSON.parse(pageResult(await raw("() => window.__edgembedProbe ? window.__edgembedProbe.entries : null", [])));
      for (const e of got ?? []) take(e);
      return got !== null;
    };
    const afterLoad = async () => { // no probe tag in this document (a service worker served it): install it now
      if (await collect()) return;
      await raw(`() => { ${probeSource(initScript ?? "")} }`, []);
      rec.notes = [...(rec.notes ?? []), `probe installed after the load of ${await session.getCurrentUrl()}: errors before it are not seen`];
    };
    const beforeNavigation = () => collect().catch(() => {});
    const setViewport = async (w, h) => {
      const win = session.manage().window();
      await win.setRect({ width: w, height: h });
      const t0 = Date.now();
      let got = JSON.parse(await evaluate(SIZE_FN, []));
      let fixedHeight = false;
      while (got.innerWidth !== w || (!fixedHeight && got.innerHeight !== h)) {
        if (got.innerWidth === w && !fixedHeight) { // the window's height includes what is left of the toolbar
          fixedHeight = true;
          await win.setRect({ width: w, height: h + (h - got.innerHeight) });
        }
        if (Date.now() - t0 > 10000) {
          if (got.innerWidth !== w) throw new Error(`the viewport stayed ${got.innerWidth} px wide (asked for ${w} px)`);
          break;
        }
        await sleep(50);
        got = JSON.parse(await evaluate(SIZE_FN, []));
      }
      return got;
    };
    await setViewport(width, height);
    return {
      rec,
      async goto(url) {
        await beforeNavigation();
        await session.get(url);
        await afterLoad();
        return session.getCurrentUrl();
      },
      async reload() {
        await beforeNavigation();
        await session.navigate().refresh();
        await afterLoad();
        return session.getCurrentUrl();
      },
      evaluate,
      setViewport,
      async screenshot(path) {
        // WebKitGTK snapshots the last composited frame, which lags the DOM on a busy machine: let the page render
        // three frames first (at most 3 s: a page that never renders still gets its screenshot)
        await evaluate(`() => Promise.race([new Promise((r) => setTimeout(r, 3000)),
          (async () => { for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r)); })()])`, []);
        writeFileSync(path, Buffer.from(await session.takeScreenshot(), "base64"));
      },
      async collect() {
        await collect().catch((e) => { rec.notes = [...(rec.notes ?? []), `probe entries not read: ${oneLine(e)}`]; });
        await sleep(50); // a beacon sent just now
      },
      async close() {
        await session.quit().catch(() => {});
        await stop(drv.proc);
        procs.delete(drv.proc);
        await proxy.close();
        removeTree(dir); // fresh data and cache folders for the next page
      },
    };
  }

  return {
    version,
    requestsFrom: "proxy",
    newPage,
    async close() {
      for (const p of procs) await stop(p);
      removeTree(root);
    },
  };
}
