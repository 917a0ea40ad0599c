#!/usr/bin/env bash
# Builds a Backprop dataset file from Debian's Fashion-MNIST (package
# dataset-fashion-mnist: the IDX .gz files under /usr/share/datasets/fashion-mnist)
# with `backprop import idx`.
#
# Usage: datasets/make-fashion-mnist.sh [OUTPUT [IMPORT OPTIONS...]]
#   OUTPUT defaults to datasets/fashion-mnist.h5 (60000 training, 10000 test rows);
#   IMPORT OPTIONS go to `backprop import idx`, e.g. --limit 2000 --test-limit 500
#   (that is what make-small.sh does).
#
# Does nothing when OUTPUT exists and is newer than the source files: delete it to
# rebuild. Environment:
#   BACKPROP            an already built backprop binary, instead of `swift run -c release`
#   SWIFT_SCRATCH_PATH  passed to swift as --scratch-path (to keep out of another build's way)
set -euo pipefail

cd "$(dirname "$0")/.."

source_dir=/usr/share/datasets/fashion-mnist
output=${1:-datasets/fashion-mnist.h5}
shift $(($# > 0 ? 1 : 0))
train_images=$source_dir/train-images-idx3-ubyte.gz
train_labels=$source_dir/train-labels-idx1-ubyte.gz
test_images=$source_dir/t10k-images-idx3-ubyte.gz
test_labels=$source_dir/t10k-labels-idx1-ubyte.gz
sources=("$train_images" "$train_labels" "$test_images" "$test_labels")

have_sources() {
    local file
    for file in "${sources[@]}"; do
        [[ -f $file ]] || return 1
    done
}

if ! have_sources; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get > /dev/null; then
        echo "Installing dataset-fashion-mnist..." >&2
        # A machine that never ran apt-get update has no package lists yet.
        apt-get install -y dataset-fashion-mnist > /dev/null 2>&1 \
            || { apt-get update > /dev/null && apt-get install -y dataset-fashion-mnist > /dev/null; }
    else
        echo "error: Fashion-MNIST is not in $source_dir." >&2
        echo "Install it with: sudo apt-get install dataset-fashion-mnist" >&2
        exit 1
    fi
    have_sources || { echo "error: dataset-fashion-mnist installed no files in $source_dir" >&2; exit 1; }
fi

up_to_date() {
    local file
    [[ -f $output ]] || return 1
    for file in "${sources[@]}"; do
        [[ $output -nt $file ]] || return 1
    done
}

if up_to_date; then
    echo "$output is up to date."
    exit 0
fi

if [[ -n ${BACKPROP:-} ]]; then
    backprop=("$BACKPROP")
else
    backprop=(swift run -c release ${SWIFT_SCRATCH_PATH:+--scratch-path "$SWIFT_SCRATCH_PATH"} backprop)
fi

"${backprop[@]}" import idx "$train_images" "$train_labels" \
    --test-images "$test_images" --test-labels "$test_labels" \
    -o "$output" "$@"
