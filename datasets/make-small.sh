#!/usr/bin/env bash
# Builds datasets/fashion-mnist-small.h5, the small dataset the tests use: the first
# 2000 training and 500 test rows of Fashion-MNIST, in the usual layout.
# The file is committed, so this only needs running to remake it (delete it first).
# Takes the same environment as make-fashion-mnist.sh.
set -euo pipefail
exec "$(dirname "$0")/make-fashion-mnist.sh" datasets/fashion-mnist-small.h5 --limit 2000 --test-limit 500
