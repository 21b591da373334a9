"""Python runtimes over an export folder (flat numpy, onnxruntime, torch): `exporter.load(...)`."""
