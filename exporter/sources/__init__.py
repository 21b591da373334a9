"""Where models come from: local folders (sentence-transformers, model2vec), the Hugging Face hub, the bundled default model; each becomes a StaticModel (one float32 table + its tokenizer.json)."""
