// Types of search_ui.mjs ("edgembed/search_ui.mjs"): the drop-in search box. Importing it registers <edgembed-search>
// (attributes index, mode, limit, placeholder, base-url, theme). The box lives in the element's open shadow root;
// theming: --edgembed-* custom properties and ::part() names, listed in docs/search.md.
import type { SearchMode, SiteSearch } from "./index.js";

/** Per mode, the share of the first hit's score under which a hit is marked "weak match". */
export interface WeakRatios {
  keyword?: number;
  hybrid?: number;
  semantic?: number;
}

export interface EdgembedSearchUIOptions {
  /** the element that hosts the box (its shadow root); one that cannot hold a shadow root gets a <span> that does */
  element: HTMLElement;
  /** the index folder (default "/_edgembed/"), when `search` is not given */
  index?: string;
  /** an already loaded index (loadSearch) */
  search?: SiteSearch | Promise<SiteSearch>;
  /** results shown (default 8) */
  limit?: number;
  mode?: SearchMode;
  debounceMs?: number;
  placeholder?: string;
  /** prefix of result URLs (a site served under a sub-path) */
  baseUrl?: string;
  /** override the measured thresholds (WEAK_RATIO); 0 marks nothing weak */
  weakRatio?: WeakRatios;
  /** colours: "auto" (prefers-color-scheme, the default), or forced "light" / "dark" */
  theme?: "auto" | "light" | "dark";
}

/** The measured thresholds: {keyword: 0.5, hybrid: 0.65} (benchmarks/weak_matches.py). */
export declare const WEAK_RATIO: Readonly<{ keyword: number; hybrid: number }>;

/** Markdown markup removed from excerpt text (paired markup always; with `markdown`, stray markers too). */
export declare function stripMarkdown(text: string, markdown?: boolean): string;

export declare class EdgembedSearchUI {
  constructor(opts: EdgembedSearchUIOptions);
  /** the element whose shadow root holds the box */
  readonly host: HTMLElement;
  readonly shadow: ShadowRoot;
  /** Run a query as if typed. */
  run(query: string): Promise<void>;
  /** Show / hide the results panel. */
  open(): void;
  close(): void;
}
