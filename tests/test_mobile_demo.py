"""The web demo on a phone: Playwright mobile emulation (isMobile, hasTouch, 2-3x pixels) in Debian's chromium at
320, 360, 390 and 414 CSS px. After typing a query and tapping Compare: the page is exactly as wide as the screen,
nothing sticks out past an edge (the similarity grid scrolls inside its card), touch targets are at least 44 x 44 px,
long words and URLs wrap, the on-screen keyboard leaves the focused field visible, and the page logs no error.
Run: python3 -m pytest tests/test_mobile_demo.py -q -rs"""

from __future__ import annotations

import struct

import pytest

from exporter.pipeline import export
from tests.conftest import ARTIFACTS, WEB

PHONES = {320: (568, 2), 360: (740, 3), 390: (844, 2), 414: (896, 3)}  # width: (height, deviceScaleFactor)
SHOT_WIDTH = 390
MIN_TARGET = 44

URL = "https://example.com/" + "/".join(f"segment{i}-with-no-break" for i in range(40)) + "?query=" + "x" * 120
LONG_TEXTS = [
    URL,
    "Pneumonoultramicroscopicsilicovolcanoconiosis" * 20,
    "x" * 3000,
    "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft" * 6 + " and then a few words",
    "0123456789" * 120,
    "漢字仮名交じり文" * 80,
    "Cats sleep a lot.",
]
CORPUS_NAME = "a_corpus_of_very_long_unbroken_strings_for_the_phone_layout_test.txt"
PAGES = {
    "default": {
        "query": "how do I catch an exception?",
        "sentences": ["A man is playing a guitar.", "Someone strums an acoustic guitar on stage.", "The cat is sleeping on the sofa.",
                      "A kitten naps on the couch.", "How do I sort a list in Python?", "Use sorted() to order the items of a list.",
                      "Exceptions are caught with try and except.", "The weather is sunny today."],
    },
    "long": {
        "query": "Pneumonoultramicroscopicsilicovolcanoconiosis " + URL,
        "sentences": [URL, "Pneumonoultramicroscopicsilicovolcanoconiosis" * 8, "y" * 600, "A kitten naps on the couch.",
                      "Cats sleep a lot.", "0123456789" * 40, "漢字仮名交じり文" * 30, "A man is playing a guitar."],
    },
}


def _browser_ok() -> tuple[bool, str]:
    from exporter.proof.browser import browser_available

    return browser_available()


BROWSER_OK, BROWSER_WHY = _browser_ok()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(not BROWSER_OK, reason=f"no browser: {BROWSER_WHY}")]


@pytest.fixture(scope="module")
def phone_runs(distilled_dir, tmp_path_factory):
    """Two int8 exports (the default corpus; a corpus of very long unbroken strings), each visited at every width."""
    from exporter.proof.browser import _drive, _report, chromium_path
    from exporter.targets.serve import serve_in_thread

    root = tmp_path_factory.mktemp("mobile")
    corpus = root / CORPUS_NAME
    corpus.write_text("\n".join(LONG_TEXTS) + "\n", encoding="utf-8")
    dirs = {"default": root / "default", "long": root / "long"}
    export(distilled_dir, dirs["default"], quant="int8", demo=True)
    export(distilled_dir, dirs["long"], quant="int8", demo=True, corpus=corpus)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "demo-phone.png"
    shot.unlink(missing_ok=True)
    servers = {k: serve_in_thread(d) for k, d in dirs.items()}
    try:
        specs = []
        for kind, page in PAGES.items():
            for width, (height, dpr) in PHONES.items():
                spec = {"name": f"{kind}-{width}", "url": f"{servers[kind][1]}index.html?backend=flat", "width": width,
                        "height": height, "dpr": dpr, **page}
                if kind == "default" and width == SHOT_WIDTH:
                    spec["screenshot"] = str(shot.resolve())
                specs.append(spec)
        raw = _drive({"chromium": chromium_path(), "timeoutMs": 120_000, "actionTimeoutMs": 30_000, "pages": specs}, 600.0,
                     driver=WEB / "scripts" / "mobile.mjs")
    finally:
        for srv, _ in servers.values():
            srv.shutdown()
            srv.server_close()
    return {r["name"]: (r, _report(r)) for r in raw["pages"]}, shot


CASES = [f"{kind}-{w}" for kind in PAGES for w in PHONES]


def _page(phone_runs, name: str) -> dict:
    raw, rep = phone_runs[0][name]
    assert rep.error is None, f"{name}: {rep.error} (page {raw.get('loaded', {}).get('scrollWidth')} px wide once loaded)"
    return raw


@pytest.mark.parametrize("name", CASES)
def test_page_fits_the_phone_without_errors(phone_runs, name):
    raw, rep = _page(phone_runs, name), phone_runs[0][name][1]
    assert rep.problems == [], rep.problems  # no load error, console error, page error, dialog, failed or off-site request
    width, lay = raw["width"], raw["layout"]
    kind = name.split("-")[0]
    # the page was really used: this query's six results and the 8 x 8 grid are on screen
    assert lay["query"] == PAGES[kind]["query"] and lay["hits"] == 6 and lay["cells"] == len(PAGES[kind]["sentences"]) ** 2
    print(f"{name}: scrollWidth {lay['scrollWidth']} at {width} px, grid {lay['matrix']['scrollWidth']} px "
          f"in a {lay['matrix']['clientWidth']} px box")
    assert lay["scrollWidth"] == width and lay["bodyScrollWidth"] <= width, f"the page is {lay['scrollWidth']} px wide"
    assert lay["innerWidth"] == width and lay["clientWidth"] == width and lay["scale"] == 1, "the phone zooms out"
    assert lay["outside"] == [], f"{len(lay['outside'])} elements stick out, first: {lay['outside'][:5]}"
    m = lay["matrix"]
    assert m["left"] >= 0 and m["right"] <= width, "the grid's box stays on screen"
    assert m["scrollWidth"] <= m["clientWidth"] or m["overflowX"] in ("auto", "scroll"), "a wide grid scrolls in its card"


@pytest.mark.parametrize("name", CASES)
def test_touch_targets_are_44_px(phone_runs, name):
    lay = _page(phone_runs, name)["layout"]
    names = [t["el"] for t in lay["targets"]]
    assert any(n.endswith("button#compare") for n in names) and sum("#backend-switch > label" in n for n in names) == 2
    small = [t for t in lay["targets"] if t["width"] < MIN_TARGET or t["height"] < MIN_TARGET]
    assert small == [], f"touch targets under {MIN_TARGET} x {MIN_TARGET} px: {small}"


@pytest.mark.parametrize("name", CASES)
def test_long_words_and_urls_wrap(phone_runs, name):
    lay = _page(phone_runs, name)["layout"]
    assert lay["unwrapped"] == [], f"text pushed sideways: {lay['unwrapped']}"
    assert lay["wrapStyle"] and set(lay["wrapStyle"]) <= {"anywhere", "break-word"}
    if name.startswith("long"):  # the results really hold unbroken strings far wider than the phone
        assert max(len(w) for t in lay["hitTexts"] for w in t.split()) >= 300


@pytest.mark.parametrize("name", CASES)
def test_keyboard_leaves_the_field_visible(phone_runs, name):
    raw = _page(phone_runs, name)
    assert [k["selector"] for k in raw["keyboard"]] == ["#query", "#sentences"]
    for k in raw["keyboard"]:
        assert k["focused"], k
        assert k["viewHeight"] <= 300 + 0.5, "the viewport shrank like it does under an on-screen keyboard"
        assert k["top"] >= k["viewTop"] - 0.5 and k["bottom"] <= k["viewTop"] + k["viewHeight"] + 0.5, \
            f"{k['selector']} is covered by the keyboard: {k}"
        assert k["scrollWidth"] == raw["width"]


def test_phone_screenshot(phone_runs):
    shot = phone_runs[1]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    w, h = struct.unpack(">II", data[16:24])
    assert (w, h) == (SHOT_WIDTH * PHONES[SHOT_WIDTH][1], PHONES[SHOT_WIDTH][0] * PHONES[SHOT_WIDTH][1])
