"""Site search for static sites: ``edgembed index`` builds a static, sharded index of a built site (lexical BM25
over stemmed words + the export's dense vectors), ``edgembed search`` queries it with the ranking that the
browser's ``loadSearch()`` (web/runtime/search.mjs) uses. Layout of the index: docs/search.md."""
