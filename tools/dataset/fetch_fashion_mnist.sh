#!/usr/bin/env bash
# Fashion-MNIST into data/fashion_mnist, for the data-backed tests and the
# benchmarks: tools/dataset/fetch_fashion_mnist.sh [PYTHON]
# The files come from Debian's dataset-fashion-mnist package: used where it
# is installed, installed with apt-get when running as root, otherwise its
# .deb is downloaded and unpacked into a temporary folder (no install).
# tools/dataset/prepare_fashion_mnist.py then gunzips them (a second run
# leaves unpacked files alone).
set -euo pipefail
PYTHON=${1:-python}
PACKAGE=dataset-fashion-mnist
SRC=/usr/share/datasets/fashion-mnist
if [ ! -f "$SRC/train-images-idx3-ubyte.gz" ]; then
    if ! command -v apt-get >/dev/null; then
        echo "error: no $SRC and no apt-get to fetch Debian's $PACKAGE;" \
            "put the four Fashion-MNIST idx .gz files in a folder and run" \
            "python tools/dataset/prepare_fashion_mnist.py --src FOLDER" >&2
        exit 1
    fi
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q "$PACKAGE" >/dev/null ||
            { apt-get update -q >/dev/null &&
              apt-get install -y -q "$PACKAGE" >/dev/null; }
    else
        TMP=$(mktemp -d)
        trap 'rm -rf "$TMP"' EXIT
        (cd "$TMP" && apt-get download -q "$PACKAGE" >/dev/null &&
            dpkg-deb -x "$PACKAGE"_*.deb root)
        SRC="$TMP/root$SRC"
    fi
fi
"$PYTHON" "$(dirname "$0")/prepare_fashion_mnist.py" --src "$SRC"
