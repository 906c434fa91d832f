#!/usr/bin/env bash
# CLIP ViT-B/32 image tower, batch 32, f32: candle (IPS) and PyTorch eager, one after the other on
# this machine. PyTorch comes from PyPI into a throwaway virtualenv (about 5 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${CLIP_BENCH_VENV:-target/clip-bench-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch transformers
fi
cargo bench -q -p ips-core --bench clip_speed
"$venv/bin/python" bench/clip_speed.py
