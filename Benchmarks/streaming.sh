#!/usr/bin/env bash
# The "Done when" figures of issue 10 (datasets larger than memory):
#   1. an 8,000,000 × 784 uint8 dataset (6.3 GB) trains with --data-memory 1G,
#      peak resident memory by /usr/bin/time -v;
#   2. its samples/s against in-memory training of a 1,000,000-row file of the
#      same kind that fits (and that file streamed too), same model and recipe.
# One epoch each of 784-256-128-10, batch 256: the epoch line's samples/s is the
# steady-state rate (the epoch is long enough that start-up does not count).
# The data is written in bounded memory by make_streaming_data.py; the 6.3 GB
# file is deleted at the end unless KEEP=1. Needs about 8 GB free in WORK.
# ROUNDS=n repeats the three runs n times, alternating, for medians on a
# shared machine.
#
#   Benchmarks/streaming.sh                # WORK=.bench ROWS=8000000 ROUNDS=1
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-.bench}
rows=${ROWS:-8000000}
mkdir -p "$work"
df -h "$work" | tail -1
swift build -c release --product backprop >/dev/null
backprop=$(swift build -c release --show-bin-path)/backprop
[ -f "$work/big.h5" ] || python3 Benchmarks/make_streaming_data.py "$work/big.h5" "$rows"
[ -f "$work/fit.h5" ] || python3 Benchmarks/make_streaming_data.py "$work/fit.h5" 1000000
recipe=(--layers 784,256,128,10 --activation relu --learning-rate 0.05 --momentum 0.9
        --batch-size 256 --seed 1 --epochs 1 -v)

run() {  # name, then backprop arguments
    local name=$1; shift
    /usr/bin/time -v "$backprop" train "$@" "${recipe[@]}" >"$work/$name.out" 2>"$work/$name.time"
    local rate rss wait mode
    rate=$(grep -o '[0-9,]* samples/s' "$work/$name.out" | tail -1)
    wait=$(grep -o 'data wait: [0-9.]*s' "$work/$name.out" | tail -1 || true)
    rss=$(awk '/Maximum resident/ {printf "%.0f MB", $6 / 1024}' "$work/$name.time")
    mode=$(grep -o 'data mode: [a-z]*' "$work/$name.out")
    printf '%-28s %-18s %-20s peak RSS %-9s %s\n' "$name" "$mode" "$rate" "$rss" "$wait"
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "${ROUNDS:-1}"); do
    run "in-memory 1M rows" "$work/fit.h5"
    run "streamed 1M rows (256M)" "$work/fit.h5" --data-memory 256M
    run "streamed 8M rows (1G)" "$work/big.h5" --data-memory 1G
done
run "in-memory 1M rows (again)" "$work/fit.h5"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "${KEEP:-0}" = 1 ] || rm -f "$work/big.h5"
