"""Browser engines for the tests: Chromium, Firefox and WebKit as long-lived sessions with pages.

``open_engine("webkit")`` starts web/scripts/engine_host.mjs, which launches the engine once and serves commands
(new page, goto, evaluate, viewport, screenshot, the page's log) until closed; ``engine_available`` says why an
engine cannot run here, for a pytest skip. ``demo`` holds what the tests ask of the demo page in any engine."""

from exporter.proof.engines.availability import ENGINES, engine_available, executables
from exporter.proof.engines.session import Engine, Page, PageLog, open_engine

__all__ = ["ENGINES", "Engine", "Page", "PageLog", "engine_available", "executables", "open_engine"]
