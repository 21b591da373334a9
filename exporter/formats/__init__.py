"""The artifacts an export is made of, from a StaticModel: quantized tables, the flat binary, the ONNX graph, the character table, transformers.js files."""
