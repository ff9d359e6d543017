#!/usr/bin/env bash
# Runs the reference workload (scenarios/bench-national.toml) with upstream
# and with the NumPy peer (benches/peer/numpy_cohort.py) on the same number of
# draws, and prints both wall times and their ratio.
#   benches/compare.sh [DRAWS]     (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
draws="${1:-10000}"
cargo build --release --quiet
python3 -c "import numpy, scipy" 2>/dev/null || python3 -m pip install --quiet numpy scipy
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

seconds() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.2f}")' "$1" "$2"; }

start=$(date +%s.%N)
./target/release/upstream run scenarios/bench-national.toml --draws "$draws" --out "$out/upstream" > /dev/null
end=$(date +%s.%N)
ours=$(seconds "$start" "$end")

start=$(date +%s.%N)
python3 benches/peer/numpy_cohort.py scenarios/bench-national.toml --draws "$draws" --out "$out/peer.csv" > /dev/null
end=$(date +%s.%N)
peer=$(seconds "$start" "$end")

echo "reference workload, $draws draws, $(nproc) cores"
echo "upstream (whole run, CSV written): ${ours} s"
echo "NumPy peer (whole run, CSV written): ${peer} s"
python3 -c 'import sys; print(f"upstream is {float(sys.argv[2]) / float(sys.argv[1]):.2f}x the speed of the peer")' "$ours" "$peer"
