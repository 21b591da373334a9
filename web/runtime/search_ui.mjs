// A drop-in search box for an `edgembed index` folder, no framework:
//
//   <script type="module" src="/_edgembed/js/search_ui.mjs"></script>
//   <edgembed-search index="/_edgembed/" placeholder="Search the docs"></edgembed-search>
//
// or new EdgembedSearchUI({ element, index: "/_edgembed/" }) (the element gets the box in its shadow root).
// The box lives in an open shadow root: the page's CSS cannot reach inside it (every inherited property is reset on
// its root), it is themed only through --edgembed-* custom properties and ::part() names (docs/search.md lists both).
// Results open in a panel over the page (under the input; full width on a phone), closed by Esc or a click outside;
// ARIA 1.2 combobox + listbox, ↑/↓ to move, Enter to follow. Keyword results show at once, hybrid ones replace them
// when the model and vectors have arrived. A hit whose score is under WEAK_RATIO × the first hit's is marked
// "weak match" (thresholds per mode measured on cranfield and cisi: benchmarks/weak_matches.py, docs/search.md).
import { loadSearch } from "./search.mjs";
// the modules search.mjs imports, named here too: the browser fetches them with it, not one import level later
import "./search_ids.mjs";
import "./search_store.mjs";
import "./search_text.mjs";
import "./search_stem.mjs";
import "./chartable.mjs";

/** A hit scoring under this share of the first hit's score is marked weak, per mode (benchmarks/weak_matches.py: on
 * cranfield and cisi, ≤ 6.6 % of the relevant hits at ranks 2-10 fall under it; semantic scores were not measured). */
export const WEAK_RATIO = Object.freeze({ keyword: 0.5, hybrid: 0.65 });
const PHONE_PX = 600;

const CSS = `
:host{display:flow-root !important;padding:0 !important;border:0 !important;background:none !important;
box-shadow:none !important;float:none !important;min-width:0;max-width:var(--edgembed-width,100%)}
:host([hidden]){display:none !important}
.box{all:initial;display:flow-root;position:relative;box-sizing:border-box;width:100%;
--_accent:var(--edgembed-accent,#2563eb);--_bg:var(--edgembed-bg,#fff);--_fg:var(--edgembed-fg,#111827);
--_muted:var(--edgembed-muted,#5b6472);--_border:var(--edgembed-border,#d1d5db);--_mark:var(--edgembed-mark,#fde68a);
--_markfg:var(--edgembed-mark-fg,inherit);--_radius:var(--edgembed-radius,8px);--_active:var(--edgembed-active,#eff6ff);
--_shadow:var(--edgembed-shadow,0 10px 30px rgba(15,23,42,.18),0 2px 6px rgba(15,23,42,.08));
font-family:var(--edgembed-font-family,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);
font-size:var(--edgembed-font-size,16px);line-height:1.45;font-weight:400;font-style:normal;color:var(--_fg);
text-align:start;letter-spacing:normal;word-spacing:normal;text-transform:none;text-indent:0;text-shadow:none;
white-space:normal;visibility:visible;cursor:auto;-webkit-text-fill-color:currentColor;color-scheme:light}
@media (prefers-color-scheme:dark){.box:not(.light){--_bg:var(--edgembed-bg,#111827);--_fg:var(--edgembed-fg,#f3f4f6);
--_muted:var(--edgembed-muted,#a3acb9);--_border:var(--edgembed-border,#374151);--_mark:var(--edgembed-mark,#854d0e);
--_active:var(--edgembed-active,#1e293b);--_accent:var(--edgembed-accent,#60a5fa);color-scheme:dark}}
.box.dark{--_bg:var(--edgembed-bg,#111827);--_fg:var(--edgembed-fg,#f3f4f6);--_muted:var(--edgembed-muted,#a3acb9);
--_border:var(--edgembed-border,#374151);--_mark:var(--edgembed-mark,#854d0e);--_active:var(--edgembed-active,#1e293b);
--_accent:var(--edgembed-accent,#60a5fa);color-scheme:dark}
*,*::before,*::after{box-sizing:border-box}
input{display:block;width:100%;min-height:44px;margin:0;padding:9px 14px;font:inherit;color:var(--_fg);background:var(--_bg);
border:1px solid var(--_border);border-radius:var(--_radius);outline:none;-webkit-appearance:none;appearance:none;
box-shadow:none;text-indent:0;letter-spacing:normal}
input::placeholder{color:var(--_muted);opacity:1}
input:focus{border-color:var(--_accent);box-shadow:0 0 0 3px color-mix(in srgb,var(--_accent) 25%,transparent)}
.panel{position:fixed;inset:auto;top:0;left:0;width:100%;z-index:var(--edgembed-z,2147483000);margin:0;padding:0;
background:var(--_bg);color:var(--_fg);border:1px solid var(--_border);border-radius:var(--_radius);box-shadow:var(--_shadow);
overflow:auto;overscroll-behavior:contain;max-height:min(70vh,36rem);text-align:start}
.panel[hidden]{display:none}
.panel.phone{border-radius:0;border-left:0;border-right:0}
.head{display:flex;justify-content:space-between;gap:8px;margin:0;padding:6px 14px;font-size:.78em;color:var(--_muted);
border-bottom:1px solid var(--_border)}
ul{list-style:none;margin:0;padding:0}
li{display:block;margin:0;padding:10px 14px;border-top:1px solid var(--_border);cursor:pointer;overflow-wrap:anywhere;
list-style:none;text-indent:0}
li:first-child{border-top:0}
li[aria-selected=true]{background:var(--_active);box-shadow:inset 3px 0 0 var(--_accent)}
a{display:block;color:inherit;background:none;text-decoration:none;margin:0;padding:0;border:0;min-height:24px;font:inherit}
a:focus-visible{outline:2px solid var(--_accent);outline-offset:2px}
.title{display:block;font-weight:600;color:var(--_accent);margin:0;padding:0}
.weak .title{color:var(--_fg);font-weight:500}
.badge{display:inline-block;margin:0 0 0 .5em;padding:0 .45em;font-size:.72em;font-weight:500;line-height:1.6;vertical-align:1px;
color:var(--_muted);border:1px solid var(--_border);border-radius:999px;white-space:nowrap}
.heading{display:block;font-size:.85em;color:var(--_muted);margin:1px 0 0;padding:0}
.excerpt{display:block;font-size:.9em;margin:3px 0 0;padding:0;color:var(--_fg)}
.weak .excerpt{color:var(--_muted)}
mark{background:var(--_mark);color:var(--_markfg);border-radius:2px;padding:0 1px;margin:0;font:inherit}
.sub{display:block;margin:6px 0 0 4px;padding:0 0 0 10px;border-left:2px solid var(--_border);font-size:.85em}
.sub a{display:flex;align-items:center;min-height:28px;padding:2px 0;color:var(--_fg)}
.sub a:hover{color:var(--_accent)}
.sub a::before{content:"#";color:var(--_muted);margin-right:.45em}
.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
@media (max-width:${PHONE_PX}px),(pointer:coarse){li{padding:12px 14px}.sub a{min-height:44px;padding:6px 0}}
`;

let uid = 0;

/** Only relative URLs and http(s) ones become links. */
function safeHref(url) {
  return /^(\/|\.|#|https?:\/\/)/i.test(url) || !/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : "#";
}

const UNESCAPE = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&#39;": "'" };
const MARK_ON = "\uE000", MARK_OFF = "\uE001";
const GAP = `[\\s${MARK_ON}${MARK_OFF}]`;

/** Markdown markup that reached an excerpt, removed (the <mark> sentinels stay where they are). Paired markup
 * (**bold**, `code`, [text](url), ![alt](src)) always; on Markdown pages (MARKDOWN) also what is left unpaired at
 * the window's edges, heading signs, table pipes and quote/list markers. */
export function stripMarkdown(text, markdown = false) {
  let t = text.replace(/¶/g, "");
  t = t.replace(/!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*\)/g, "$1"); // [text](url), ![alt](src)
  t = t.replace(/`+/g, ""); // inline code and fences
  t = t.replace(new RegExp(`\\*\\*(?=[^\\s*])(.+?)(?<=[^\\s*])\\*\\*`, "g"), "$1");
  t = t.replace(new RegExp(`(^|[\\s(${MARK_ON}])\\*(?=[^\\s*])([^*]+?)(?<=[^\\s*])\\*(?=$|[\\s).,;:!?${MARK_OFF}])`, "g"), "$1$2");
  if (markdown) {
    t = t.replace(/\]\((?:[^()\s]|\([^()\s]*\))*\)/g, "").replace(/\[(?![^[\]]*\])/g, ""); // a link cut by the window
    t = t.replace(/\*\*|~~/g, "");
    t = t.replace(new RegExp(`(^|${GAP})(?:#{1,6}|>+|[*+]|\\||:?-{3,}:?|\\*{3,}|_{3,}|={3,})(?=${GAP}|$)`, "g"), "$1");
    t = t.replace(/\s+\|\s+/g, " ");
  }
  return t.replace(/\s{2,}/g, " ");
}

/** The excerpt string of a hit (escaped text, matches in <mark>) as DOM nodes, Markdown removed. */
function excerptNodes(doc, html, markdown) {
  const raw = cleanText(html).replace(/<mark>/g, MARK_ON).replace(/<\/mark>/g, MARK_OFF).replace(/<[^>]*>/g, "")
    .replace(/&(?:amp|lt|gt|quot|#x27|#39);/g, (e) => UNESCAPE[e]);
  const text = stripMarkdown(raw, markdown).trim();
  const out = [];
  for (const [k, part] of text.split(new RegExp(`(${MARK_ON}[^${MARK_OFF}]*${MARK_OFF})`)).entries()) {
    if (k % 2 === 0) { if (part) out.push(doc.createTextNode(part)); continue; }
    const inner = part.slice(1, -1);
    if (!inner.trim()) { out.push(doc.createTextNode(inner)); continue; }
    const m = doc.createElement("mark");
    m.setAttribute("part", "mark");
    m.textContent = inner;
    out.push(m);
  }
  return out;
}

/** Text without permalink signs and icon-font glyphs (private-use code points) that extraction may have kept. */
function cleanText(s) {
  return String(s ?? "").replace(/[¶\u{E000}-\u{F8FF}\u{F0000}-\u{FFFFD}\u{100000}-\u{10FFFD}]/gu, "").replace(/\s+/g, " ").trim();
}

/** A page's label: its title (the index dropped the site name that titles repeat: exporter/search/site.py), else a
 * name made from its URL's last part. */
function pageLabel(title, url) {
  const t = stripMarkdown(cleanText(title)).trim();
  if (t) return t;
  let path = String(url ?? "");
  try { path = decodeURIComponent(new URL(path, "http://x/").pathname); } catch { /* keep it */ }
  const last = path.replace(/\/(index\.[a-z]+)?$/i, "").split("/").pop() ?? "";
  const name = last.replace(/\.[a-z0-9]+$/i, "").replace(/[-_]+/g, " ").trim();
  return name ? name[0].toUpperCase() + name.slice(1) : "Home";
}

export class EdgembedSearchUI {
  /**
   * @param {{element: HTMLElement, index?: string, search?: object | Promise<object>, limit?: number, mode?: "hybrid" | "keyword" | "semantic",
   *          debounceMs?: number, placeholder?: string, baseUrl?: string, weakRatio?: {keyword?: number, hybrid?: number, semantic?: number}, theme?: "auto" | "light" | "dark"}} opts
   */
  constructor(opts) {
    if (!opts?.element) throw new Error("EdgembedSearchUI needs {element}");
    this.opts = { limit: 8, mode: "hybrid", debounceMs: 120, placeholder: "Search", theme: "auto", ...opts };
    this.opts.weakRatio = { ...WEAK_RATIO, ...opts.weakRatio };
    this.el = opts.element;
    this.search = Promise.resolve(opts.search ?? loadSearch(opts.index ?? "/_edgembed/", { baseUrl: opts.baseUrl }));
    this.seq = 0;
    this.active = -1;
    this.hits = [];
    const doc = this.el.ownerDocument;
    let host = this.el;
    if (!host.shadowRoot) {
      try { host.attachShadow({ mode: "open" }); } catch { // an element that cannot hold a shadow root: a <span> inside it
        host = doc.createElement("span");
        host.style.display = "block";
        host.attachShadow({ mode: "open" });
        this.el.replaceChildren(host);
      }
    }
    this.host = host;
    this.shadow = host.shadowRoot;
    const id = `edgembed-search-${++uid}`;
    const make = (tag, cls, part) => {
      const e = doc.createElement(tag);
      if (cls) e.className = cls;
      if (part) e.setAttribute("part", part);
      return e;
    };
    const style = make("style");
    style.textContent = CSS;
    this.root = make("div", "box", "box");
    if (this.opts.theme === "light" || this.opts.theme === "dark") this.root.classList.add(this.opts.theme);
    this.input = make("input", "", "input");
    Object.assign(this.input, { type: "search", placeholder: this.opts.placeholder, autocomplete: "off", spellcheck: false });
    for (const [k, v] of [["role", "combobox"], ["aria-autocomplete", "list"], ["aria-expanded", "false"],
      ["aria-controls", `${id}-list`], ["aria-label", this.opts.placeholder], ["enterkeyhint", "search"]]) this.input.setAttribute(k, v);
    this.panel = make("div", "panel", "panel");
    this.panel.hidden = true;
    this.popover = "popover" in this.panel; // the top layer: above every stacking context, never clipped by an ancestor
    if (this.popover) this.panel.setAttribute("popover", "manual");
    this.head = make("div", "head", "status");
    this.headText = make("span");
    this.headNote = make("span");
    this.head.append(this.headText, this.headNote);
    this.list = make("ul", "", "listbox");
    this.list.id = `${id}-list`;
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "Search results");
    this.panel.append(this.head, this.list);
    this.status = make("div", "sr");
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    this.root.append(this.input, this.panel, this.status);
    this.shadow.replaceChildren(style, this.root);
    let timer = null;
    this.last = "";
    this.input.addEventListener("input", () => {
      clearTimeout(timer);
      const text = this.input.value, seq = ++this.seq; // older searches are not shown under the new text
      const typing = text.length === this.last.length + 1 && text.startsWith(this.last); // a key, not a paste
      // a paste (the text grew by more than a key) is a whole query: no debounce, no key is coming
      const wait = text.length > this.last.length + 1 ? 0 : this.opts.debounceMs;
      timer = setTimeout(() => this.run(this.input.value), wait);
      this.last = text;
      this.search.then((s) => this.typed(s, text, seq, typing)).catch(() => {});
    });
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.input.addEventListener("focus", () => {
      this.prefetch();
      if (this.hits.length) this.open();
    });
    this.panel.addEventListener("mousedown", (e) => e.preventDefault()); // keep focus in the input
    const win = doc.defaultView;
    doc.addEventListener("pointerdown", (e) => { if (!e.composedPath().includes(this.host)) this.close(); }, true);
    const replace = () => { if (!this.panel.hidden) this.place(); };
    win?.addEventListener("resize", replace);
    win?.addEventListener("scroll", replace, { passive: true, capture: true });
    this.search.catch((err) => { this.say(`search unavailable: ${err.message}`); });
  }

  /** What the first query of the box's mode will need and no query text decides (the model, the sign codes),
   * started when the input gets focus, so that they share the link with the typing rather than the query. */
  prefetch() {
    if (this.prefetched || this.opts.mode === "keyword") return;
    this.prefetched = true;
    this.search.then((s) => s.prefetch?.(this.opts.mode)).catch(() => {}); // a failure shows on the query
  }

  /** While TEXT is typed (input number SEQ): its words' term shards start now, not after the debounce; the finished
   * words' likely results (their text shards; in a dense mode the model's rows for them) start too when TYPING (a
   * key that added one character; a paste has no finished words worth it); and when every
   * term shard of TEXT is already here, its keyword results show at once rather than after the debounce (the
   * debounced run() then refines them). */
  typed(s, text, seq, typing) {
    s.prefetchTerms?.(text);
    if (typing) s.prefetchResults?.(text, this.opts.limit, this.opts.mode !== "keyword")?.catch(() => {});
    if (!text.trim() || !s.termsReady?.(text)) return;
    s.search(text, { limit: this.opts.limit, mode: "keyword", provisional: this.opts.mode !== "keyword" }).then((hits) => {
      if (seq === this.seq && hits.length) this.render(hits, seq, this.opts.mode !== "keyword", text);
    }, () => {}); // the debounced run reports a failure
  }

  /** Run QUERY: keyword results as soon as they are ready, then the chosen mode's when they differ in kind; both
   * start at once (they share the terms' shards). Results are shown only under the query they answer. */
  async run(query) {
    const seq = ++this.seq;
    try {
      const s = await this.search;
      if (seq !== this.seq) return;
      if (!query.trim()) return this.render([], seq, false, query);
      const mode = this.opts.mode, limit = this.opts.limit;
      const full = s.search(query, { limit, mode });
      if (mode !== "keyword") {
        this.say("searching…");
        full.catch(() => {}); // awaited below; keyword results show meanwhile
        try {
          const quick = await s.search(query, { limit, mode: "keyword", provisional: true }); // replaced soon
          if (seq === this.seq && quick.length) this.render(quick, seq, true, query);
        } catch { /* the full search reports it */ }
      }
      const hits = await full;
      this.render(hits, seq, false, query);
    } catch (err) { // keyword results, if any, stay on screen
      if (seq !== this.seq) return;
      this.say(`search failed: ${err.message}`);
      if (this.isFocused()) this.open(); // the panel shows why (its first line)
    }
  }

  say(text, note = "") {
    this.status.textContent = text;
    this.headText.textContent = text;
    this.headNote.textContent = note;
  }

  render(hits, seq, partial = false, query = "") {
    if (seq !== this.seq) return;
    this.hits = hits;
    this.active = -1;
    const doc = this.el.ownerDocument;
    const top = hits.length ? Number(hits[0].score) : 0;
    const ratio = Number(this.opts.weakRatio[partial ? "keyword" : this.opts.mode] ?? 0);
    const items = hits.map((h, i) => {
      const weak = top > 0 && i > 0 && Number(h.score) < ratio * top;
      const markdown = /\.(md|markdown)([?#]|$)/i.test(h.url ?? "");
      const label = pageLabel(h.title, h.url);
      const li = doc.createElement("li");
      li.id = `${this.list.id}-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.setAttribute("part", weak ? "option weak" : "option");
      li.dataset.score = String(h.score);
      if (weak) li.className = "weak";
      const a = doc.createElement("a");
      a.href = safeHref(h.anchor_url ?? h.url);
      a.tabIndex = -1;
      a.setAttribute("part", "link");
      const title = doc.createElement("span");
      title.className = "title";
      title.setAttribute("part", "title");
      title.textContent = label;
      if (weak) {
        const badge = doc.createElement("span");
        badge.className = "badge";
        badge.setAttribute("part", "weak-label");
        badge.textContent = "weak match";
        title.append(badge);
      }
      a.append(title);
      const heading = stripMarkdown(cleanText(h.heading)).trim();
      if (heading && heading !== label && heading !== String(h.title ?? "").trim()) {
        const hd = doc.createElement("span");
        hd.className = "heading";
        hd.setAttribute("part", "heading");
        hd.textContent = heading;
        a.append(hd);
      }
      const ex = doc.createElement("span");
      ex.className = "excerpt";
      ex.setAttribute("part", "excerpt");
      ex.append(...excerptNodes(doc, h.excerpt, markdown));
      a.append(ex);
      li.append(a);
      if (h.sub_results?.length) {
        const sub = doc.createElement("div");
        sub.className = "sub";
        sub.setAttribute("part", "sub-results");
        for (const r of h.sub_results) {
          const sa = doc.createElement("a");
          sa.href = safeHref(r.url);
          sa.tabIndex = -1;
          sa.setAttribute("part", "sub-link");
          sa.textContent = stripMarkdown(cleanText(r.heading)).trim() || label;
          sub.append(sa);
        }
        li.append(sub);
      }
      li.addEventListener("click", (e) => { if (e.target === li) a.click(); });
      return li;
    });
    this.list.replaceChildren(...items);
    this.list.dataset.query = query; // what these results answer (tests wait on it)
    this.list.dataset.partial = partial ? "1" : "0";
    this.input.removeAttribute("aria-activedescendant");
    const q = query.trim();
    const nweak = items.filter((li) => li.classList.contains("weak")).length;
    this.say(!q ? "" : hits.length ? `${hits.length} result${hits.length === 1 ? "" : "s"}${nweak ? `, ${nweak} weak` : ""}` : "no results",
      partial ? "keyword; refining…" : "");
    if (q && (hits.length || !partial) && this.isFocused()) this.open();
    else if (!q) this.close();
  }

  isFocused() {
    return this.shadow.activeElement === this.input;
  }

  open() {
    if (!this.input.value.trim()) return;
    this.panel.hidden = false;
    if (this.popover && !this.panel.matches(":popover-open")) this.panel.showPopover();
    this.input.setAttribute("aria-expanded", this.hits.length ? "true" : "false");
    this.place();
  }

  close() {
    if (this.panel.hidden) return;
    this.panel.hidden = true;
    if (this.popover && this.panel.matches(":popover-open")) this.panel.hidePopover();
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    if (this.active >= 0) this.list.children[this.active]?.setAttribute("aria-selected", "false");
    this.active = -1;
  }

  /** Put the panel (fixed, in the top layer where the browser has popovers) under the input: as wide as the input or
   * wider (up to 36rem) within the viewport, full width on a phone, never taller than the room left below the input. */
  place() {
    const win = this.el.ownerDocument.defaultView;
    const vw = Math.min(this.el.ownerDocument.documentElement.clientWidth || win.innerWidth, win.visualViewport?.width ?? Infinity);
    const r = this.input.getBoundingClientRect();
    const p = this.panel.style;
    const room = Math.max(160, win.innerHeight - r.bottom - 14);
    if (vw <= PHONE_PX) {
      this.panel.classList.add("phone");
      p.top = `${Math.round(r.bottom + 6)}px`;
      p.left = "0px";
      p.width = `${Math.round(vw)}px`;
      p.maxHeight = `${Math.round(room)}px`;
      return;
    }
    this.panel.classList.remove("phone");
    const rem = parseFloat(win.getComputedStyle(this.root).fontSize) || 16;
    const width = Math.min(Math.max(r.width, 36 * rem), vw - 16);
    let left = r.left;
    if (left + width > vw - 8) left = Math.max(8, vw - 8 - width);
    p.top = `${Math.round(r.bottom + 6)}px`;
    p.width = `${Math.round(width)}px`;
    p.left = `${Math.round(left)}px`;
    p.maxHeight = `${Math.round(Math.min(room, 0.7 * win.innerHeight, 36 * rem))}px`;
  }

  key(e) {
    const n = this.hits.length;
    if ((e.key === "ArrowDown" || e.key === "ArrowUp") && n) {
      e.preventDefault();
      if (this.panel.hidden) this.open();
      const next = e.key === "ArrowDown" ? (this.active + 1) % n : (this.active - 1 + n) % n;
      this.select(this.active < 0 && e.key === "ArrowUp" ? n - 1 : next);
    } else if (e.key === "Enter" && n && !this.panel.hidden) {
      e.preventDefault();
      this.list.children[Math.max(0, this.active)]?.querySelector("a")?.click();
    } else if (e.key === "Escape") {
      e.preventDefault();
      if (!this.panel.hidden) this.close(); // first Esc closes the panel, a second clears the input
      else {
        this.input.value = "";
        this.seq++;
        this.render([], this.seq, false, "");
      }
    }
  }

  select(i) {
    const items = this.list.children;
    if (this.active >= 0 && items[this.active]) items[this.active].setAttribute("aria-selected", "false");
    this.active = i;
    items[i].setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", items[i].id);
    items[i].scrollIntoView?.({ block: "nearest" });
  }
}

if (typeof customElements !== "undefined" && !customElements.get("edgembed-search")) {
  customElements.define("edgembed-search", class extends HTMLElement {
    connectedCallback() {
      if (this.ui) return;
      const num = (name) => (this.hasAttribute(name) ? Number(this.getAttribute(name)) : undefined);
      this.ui = new EdgembedSearchUI({ element: this, index: this.getAttribute("index") ?? "/_edgembed/",
        mode: this.getAttribute("mode") ?? "hybrid", placeholder: this.getAttribute("placeholder") ?? "Search",
        limit: num("limit") ?? 8, baseUrl: this.getAttribute("base-url") ?? undefined,
        theme: this.getAttribute("theme") ?? "auto" });
    }
  });
}
