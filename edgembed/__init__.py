"""edgembed: ship static embedding models to the browser, the edge and phones.

The Python API under the product's name: ``pip install edgembed``, then ``import edgembed``. The code lives in
the ``exporter`` package (``import exporter`` works the same); this module re-exports its public API::

    import edgembed
    edgembed.export(out="site")                      # the default model, int8, with the web demo (as the CLI)
    edgembed.load("site").encode(["a text"])         # float32 ndarray
"""

from exporter import EdgembedError, StaticModel, __version__, export, load, load_model

__all__ = ["load", "export", "load_model", "StaticModel", "EdgembedError", "__version__"]
