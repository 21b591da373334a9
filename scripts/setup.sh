#!/usr/bin/env bash
# Installs everything edgembed, its tests and its browser demo need, on a fresh machine (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# torch first and pinned (tests and reference backends only): this project's machine serves a CPU wheel of 2.13.0;
# from PyPI on Linux it is the multi-GB CUDA build (CPU-only: install it first from download.pytorch.org/whl/cpu).
$PY -m pip install -q --disable-pip-version-check "torch==2.13.0" 2>&1 | grep -v -E "^WARNING: (Location|Running pip)" || true
$PY -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 | grep -v -E "^WARNING: (Location|Running pip)" || true
$PY -c "import torch, sentence_transformers, model2vec, onnxruntime, onnx, tokenizers" # fail loudly if an install failed
# tests/test_wheel.py installs the built wheel into a fresh venv: Debian's own python3 needs python3-venv for that
if ! $PY -c "import ensurepip, venv" >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
if [ "${EDGEMBED_SKIP_BROWSER:-0}" != 1 ]; then
  # the engine matrix (tests/test_engines.py): Chromium, Firefox ESR, WebKitGTK's MiniBrowser + WebKitWebDriver on Xvfb
  MISSING=""
  command -v chromium >/dev/null 2>&1 || MISSING="$MISSING chromium"
  command -v firefox-esr >/dev/null 2>&1 || command -v firefox >/dev/null 2>&1 || MISSING="$MISSING firefox-esr"
  command -v WebKitWebDriver >/dev/null 2>&1 || MISSING="$MISSING webkit2gtk-driver"
  command -v Xvfb >/dev/null 2>&1 || MISSING="$MISSING xvfb"
  # an English word list: the stemmer's JS-equals-Python test runs over it too (tests/test_search_js.py)
  [ -e /usr/share/dict/words ] || MISSING="$MISSING wamerican"
  # WordNet's glosses: the general English the default model is fitted to (scripts/default_corpus.py)
  [ -e /usr/share/wordnet/data.noun ] || MISSING="$MISSING wordnet-base"
  # the benchmarks' HTTP/2 host makes its self-signed certificate with it (web/scripts/serve_h2.mjs, tests/test_serve_h2.py)
  command -v openssl >/dev/null 2>&1 || MISSING="$MISSING openssl"
  if [ -n "$MISSING" ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    # shellcheck disable=SC2086  # one word per package
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $MISSING >/dev/null
  fi
  if [ -f web/package.json ]; then
    (cd web && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
