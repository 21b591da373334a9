"""Reports that prove an export: parity against the source model, retrieval quality, throughput, and the drivers that run the JS runtimes (Chromium, edge runtimes)."""
