// Types of search_ui.mjs ("edgembed/search_ui.mjs"): the drop-in search box. Importing it registers <edgembed-search>.
import type { SearchMode, SiteSearch } from "./index.js";

export interface EdgembedSearchUIOptions {
  /** the element the box replaces the content of */
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
}

export declare class EdgembedSearchUI {
  constructor(opts: EdgembedSearchUIOptions);
  /** Run a query as if typed. */
  run(query: string): Promise<void>;
}
