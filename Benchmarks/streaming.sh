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
# shared machine. Each streamed run is compared with the mean of the in-memory
# runs just before and just after it (the machine's speed drifts, so a ratio of
# neighbours is steadier than a ratio of medians), and the median of those
# ratios is printed at the end.
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
    echo "$name|${rate%% *}" >>"$work/rates"
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$work/rates"
for round in $(seq "${ROUNDS:-1}"); do
    run "in-memory 1M rows" "$work/fit.h5"
    run "streamed 1M rows (256M)" "$work/fit.h5" --data-memory 256M
    run "streamed 8M rows (1G)" "$work/big.h5" --data-memory 1G
done
run "in-memory 1M rows (again)" "$work/fit.h5"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/rates" <<'PY'
import statistics, sys
runs = [(n, float(r.replace(",", ""))) for n, r in (l.strip().split("|") for l in open(sys.argv[1]) if "|" in l)]
memory = [i for i, (n, _) in enumerate(runs) if n.startswith("in-memory")]
for case in ("streamed 1M rows (256M)", "streamed 8M rows (1G)"):
    ratios = []
    for i, (n, rate) in enumerate(runs):
        if n != case: continue
        before = max(j for j in memory if j < i); after = min(j for j in memory if j > i)
        ratios.append(rate / ((runs[before][1] + runs[after][1]) / 2))
    print(f"{case}: against the in-memory runs around it {' '.join(f'{r:.3f}' for r in ratios)}; median {statistics.median(ratios):.3f}x")
PY
[ "${KEEP:-0}" = 1 ] || rm -f "$work/big.h5"
