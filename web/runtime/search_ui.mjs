// A drop-in search box for an `edgembed index` folder, no framework:
//
//   <div id="search"></div>
//   <script type="module">
//     import { EdgembedSearchUI } from "/_edgembed/js/search_ui.mjs";
//     new EdgembedSearchUI({ element: document.querySelector("#search"), index: "/_edgembed/" });
//   </script>
//
// or <edgembed-search index="/_edgembed/"></edgembed-search> once this module is imported. ARIA combobox + listbox,
// arrow keys / Enter / Escape, debounced input; keyword results show at once, hybrid results replace them as soon
// as the model and the vectors have arrived. Themable with CSS variables (--edgembed-accent, --edgembed-bg, ...).
import { loadSearch } from "./search.mjs";

const CSS = `
.edgembed-search{--_accent:var(--edgembed-accent,#2563eb);--_bg:var(--edgembed-bg,#fff);--_fg:var(--edgembed-fg,#111827);
--_muted:var(--edgembed-muted,#6b7280);--_border:var(--edgembed-border,#d1d5db);--_mark:var(--edgembed-mark,#fde68a);
--_radius:var(--edgembed-radius,8px);--_active:var(--edgembed-active,#eff6ff);
font:var(--edgembed-font,16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);color:var(--_fg);
position:relative;width:100%;max-width:var(--edgembed-width,42rem);box-sizing:border-box}
@media (prefers-color-scheme:dark){.edgembed-search{--_bg:var(--edgembed-bg,#111827);--_fg:var(--edgembed-fg,#f3f4f6);
--_muted:var(--edgembed-muted,#9ca3af);--_border:var(--edgembed-border,#374151);--_mark:var(--edgembed-mark,#854d0e);
--_active:var(--edgembed-active,#1e293b)}}
.edgembed-search *{box-sizing:border-box}
.edgembed-search input{width:100%;min-height:48px;padding:10px 14px;font:inherit;color:var(--_fg);background:var(--_bg);
border:1px solid var(--_border);border-radius:var(--_radius);outline:none;-webkit-appearance:none;appearance:none}
.edgembed-search input:focus{border-color:var(--_accent);box-shadow:0 0 0 3px color-mix(in srgb,var(--_accent) 25%,transparent)}
.edgembed-search .ems-status{font-size:.8em;color:var(--_muted);min-height:1.4em;margin:4px 2px}
.edgembed-search ul{list-style:none;margin:0;padding:0;background:var(--_bg);border:1px solid var(--_border);
border-radius:var(--_radius);overflow:hidden}
.edgembed-search ul:empty{display:none}
.edgembed-search li[role=option]{padding:10px 14px;border-top:1px solid var(--_border);cursor:pointer;overflow-wrap:anywhere}
.edgembed-search li[role=option]:first-child{border-top:0}
.edgembed-search li[aria-selected=true]{background:var(--_active);box-shadow:inset 3px 0 0 var(--_accent)}
.edgembed-search a{color:inherit;text-decoration:none;display:block;min-height:24px}
.edgembed-search .ems-title{font-weight:600;color:var(--_accent)}
.edgembed-search .ems-heading{font-size:.85em;color:var(--_muted)}
.edgembed-search .ems-excerpt{font-size:.9em;margin-top:2px}
.edgembed-search mark{background:var(--_mark);color:inherit;border-radius:2px;padding:0 1px}
.edgembed-search .ems-sub{margin:6px 0 0 12px;padding-left:10px;border-left:2px solid var(--_border);font-size:.85em}
.edgembed-search .ems-sub a{padding:3px 0;min-height:28px;display:flex;align-items:center}
.edgembed-search .ems-sub a:hover{color:var(--_accent)}
.edgembed-search .ems-sub a::before{content:"#";color:var(--_muted);margin-right:.4em}
@media (max-width:600px),(pointer:coarse){.edgembed-search li[role=option]{padding:12px}
.edgembed-search .ems-sub a{min-height:44px;padding:6px 0}}
`;

let styled = false;
let uid = 0;

function injectStyle(doc) {
  if (styled || !doc.head) return;
  const style = doc.createElement("style");
  style.dataset.edgembed = "search";
  style.textContent = CSS;
  doc.head.appendChild(style);
  styled = true;
}

/** Only relative URLs and http(s) ones become links. */
function safeHref(url) {
  return /^(\/|\.|#|https?:\/\/)/i.test(url) || !/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : "#";
}

export class EdgembedSearchUI {
  /**
   * @param {{element: HTMLElement, index?: string, search?: object | Promise<object>, limit?: number, mode?: "hybrid" | "keyword" | "semantic",
   *          debounceMs?: number, placeholder?: string, baseUrl?: string}} opts
   */
  constructor(opts) {
    if (!opts?.element) throw new Error("EdgembedSearchUI needs {element}");
    this.opts = { limit: 8, mode: "hybrid", debounceMs: 120, placeholder: "Search", ...opts };
    this.el = opts.element;
    this.search = Promise.resolve(opts.search ?? loadSearch(opts.index ?? "/_edgembed/", { baseUrl: opts.baseUrl }));
    this.seq = 0;
    this.active = -1;
    this.hits = [];
    const doc = this.el.ownerDocument;
    injectStyle(doc);
    const id = `edgembed-search-${++uid}`;
    this.root = doc.createElement("div");
    this.root.className = "edgembed-search";
    this.input = doc.createElement("input");
    Object.assign(this.input, { type: "search", placeholder: this.opts.placeholder, autocomplete: "off", spellcheck: false });
    this.input.setAttribute("role", "combobox");
    this.input.setAttribute("aria-autocomplete", "list");
    this.input.setAttribute("aria-expanded", "false");
    this.input.setAttribute("aria-controls", `${id}-list`);
    this.input.setAttribute("aria-label", this.opts.placeholder);
    this.input.setAttribute("enterkeyhint", "search");
    this.status = doc.createElement("div");
    this.status.className = "ems-status";
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    this.list = doc.createElement("ul");
    this.list.id = `${id}-list`;
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "Search results");
    this.root.append(this.input, this.status, this.list);
    this.el.replaceChildren(this.root);
    let timer = null;
    this.input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.run(this.input.value), this.opts.debounceMs);
    });
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.search.catch((err) => { this.status.textContent = `search unavailable: ${err.message}`; });
  }

  /** Run QUERY: keyword results first, then the chosen mode's when they differ in kind. */
  async run(query) {
    const seq = ++this.seq;
    try {
      const s = await this.search;
      if (!query.trim()) return this.render([], "", seq);
      const mode = this.opts.mode;
      if (mode !== "keyword") {
        this.status.textContent = "searching…";
        const quick = await s.search(query, { limit: this.opts.limit, mode: "keyword" });
        if (seq !== this.seq) return;
        if (quick.length) this.render(quick, "", seq, true);
      }
      const hits = await s.search(query, { limit: this.opts.limit, mode });
      this.render(hits, "", seq);
    } catch (err) { // keyword results, if any, stay on screen
      if (seq === this.seq) this.status.textContent = `search failed: ${err.message}`;
    }
  }

  render(hits, _msg, seq, partial = false) {
    if (seq !== this.seq) return;
    this.hits = hits;
    this.active = -1;
    const doc = this.el.ownerDocument;
    const items = hits.map((h, i) => {
      const li = doc.createElement("li");
      li.id = `${this.list.id}-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      const a = doc.createElement("a");
      a.href = safeHref(h.anchor_url ?? h.url);
      a.tabIndex = -1;
      const title = doc.createElement("div");
      title.className = "ems-title";
      title.textContent = h.title;
      a.append(title);
      if (h.heading && h.heading !== h.title) {
        const hd = doc.createElement("div");
        hd.className = "ems-heading";
        hd.textContent = h.heading;
        a.append(hd);
      }
      const ex = doc.createElement("div");
      ex.className = "ems-excerpt";
      ex.innerHTML = h.excerpt; // escaped text with <mark> only (search.mjs excerpt)
      a.append(ex);
      li.append(a);
      if (h.sub_results?.length) {
        const sub = doc.createElement("div");
        sub.className = "ems-sub";
        for (const r of h.sub_results) {
          const sa = doc.createElement("a");
          sa.href = safeHref(r.url);
          sa.tabIndex = -1;
          sa.textContent = r.heading || h.title; // an untitled first chunk: the page title, never its URL
          sub.append(sa);
        }
        li.append(sub);
      }
      li.addEventListener("mousedown", (e) => e.preventDefault()); // keep focus in the input
      return li;
    });
    this.list.replaceChildren(...items);
    this.list.dataset.query = this.input.value; // what these results answer (tests wait on it)
    this.list.dataset.partial = partial ? "1" : "0";
    this.input.setAttribute("aria-expanded", hits.length ? "true" : "false");
    this.input.removeAttribute("aria-activedescendant");
    const q = this.input.value.trim();
    this.status.textContent = !q ? "" : hits.length ? `${hits.length} result${hits.length === 1 ? "" : "s"}${partial ? " (keyword; refining…)" : ""}` : "no results";
  }

  key(e) {
    const n = this.hits.length;
    if (e.key === "ArrowDown" && n) { e.preventDefault(); this.select((this.active + 1) % n); }
    else if (e.key === "ArrowUp" && n) { e.preventDefault(); this.select((this.active - 1 + n) % n); }
    else if (e.key === "Enter" && this.active >= 0) {
      e.preventDefault();
      this.list.children[this.active]?.querySelector("a")?.click();
    } else if (e.key === "Escape") {
      this.input.value = "";
      this.seq++;
      this.render([], "", this.seq);
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
      this.ui = new EdgembedSearchUI({ element: this, index: this.getAttribute("index") ?? "/_edgembed/",
        mode: this.getAttribute("mode") ?? "hybrid", placeholder: this.getAttribute("placeholder") ?? "Search",
        limit: Number(this.getAttribute("limit") ?? 8), baseUrl: this.getAttribute("base-url") ?? undefined });
    }
  });
}
