#!/usr/bin/env bash
# The prototype's method and IPS's corpus run, one after the other on this machine, and the
# ratio of their wall times (issue #18's anchor; `make bench-prototype`). Slow: the prototype
# takes ~15–20 minutes on 2 cores, IPS's cold corpus run ~3, and the first call also makes the
# prototype's Python environment (~3 GB from PyPI: torch pulls its CUDA libraries even on CPU).
#
#   IPS_CORPUS_DIR       the replay corpus (default ../shared/corpus beside the clone)
#   IPS_PROTOTYPE        the prototype's method (default ../shared/tools/prototype_method.py)
#   IPS_PROTOTYPE_VENV   its Python environment (default /var/cache/ips/prototype-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${IPS_CORPUS_DIR:-../shared/corpus}"
prototype="${IPS_PROTOTYPE:-../shared/tools/prototype_method.py}"
venv="${IPS_PROTOTYPE_VENV:-/var/cache/ips/prototype-venv}"
for need in "$corpus/assignment.csv" "$corpus/routes.csv" "$prototype"; do
    [ -e "$need" ] || { echo "bench-prototype: $need is missing" >&2; exit 1; }
done
# Absolute paths: the prototype's method changes directory before it reads its input.
corpus="$(realpath "$corpus")"
prototype="$(realpath "$prototype")"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, transformers, cv2, pandas, requests" 2>/dev/null; then
    echo "making the prototype's Python environment in $venv (once; ~3 GB from PyPI)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet torch "transformers<5" "opencv-python-headless<5" pandas requests
fi

work="$(mktemp -d)"
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 tools/corpus_server.py "$corpus" "$work/port" &
server=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")"

echo "== the prototype's method ($prototype), corpus served at $base"
/usr/bin/time -f "prototype peak RSS %M KiB" "$venv/bin/python" "$prototype" "$corpus/assignment.csv" "$base" "$work/prototype" \
    > "$work/prototype.json" 2> >(tee "$work/prototype.err" >&2)
cat "$work/prototype.json"
prototype_s="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total_s"])' "$work/prototype.json")"

echo "== IPS, the same corpus, cold (cargo bench --bench corpus_run)"
IPS_CORPUS_DIR="$corpus" cargo bench -p ips-core --features test-support --bench corpus_run | tee "$work/ips.txt"
ips_s="$(awk '$1 == "total" { print $2; exit }' "$work/ips.txt")"

python3 - "$prototype_s" "$ips_s" <<'PY'
import sys
prototype, ips = map(float, sys.argv[1:3])
print(f"prototype's method {prototype:.1f} s, IPS {ips:.1f} s: IPS is {prototype / ips:.2f}x faster (goal: 10x)")
PY
