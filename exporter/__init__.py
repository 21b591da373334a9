"""edgembed: ship static embedding models to the browser, the edge and phones."""

from exporter.runtimes.backends import load
from exporter.errors import EdgembedError
from exporter.pipeline import export
from exporter.sources.loading import StaticModel, load_model

__all__ = ["load", "export", "load_model", "StaticModel", "EdgembedError"]
__version__ = "0.1.0"
