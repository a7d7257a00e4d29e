"""Unpack Fashion-MNIST for the benchmarks.

Usage: ``python tools/dataset/prepare_fashion_mnist.py [--src DIR] [--dst DIR]``.

Gunzips the four standard idx files from ``--src`` (default: where Debian's
``dataset-fashion-mnist`` package installs them) into ``--dst`` (default:
``data/fashion_mnist``, the ``data_root`` of mmlt's Fashion-MNIST configs),
where MMPretrain's ``FashionMNIST`` dataset reads them. Files already
unpacked with the right size are left alone, so running it twice is cheap.
"""
import argparse
import gzip
import os
import os.path as osp
import shutil
import sys
from typing import List, Optional, Sequence

DEFAULT_SRC = '/usr/share/datasets/fashion-mnist'
DEFAULT_DST = 'data/fashion_mnist'
APT_PACKAGE = 'dataset-fashion-mnist'
FILES = (
    'train-images-idx3-ubyte',
    'train-labels-idx1-ubyte',
    't10k-images-idx3-ubyte',
    't10k-labels-idx1-ubyte',
)


def _gzip_size(path: str) -> int:
    """Uncompressed size stored in a gzip trailer (mod 2**32; fine here)."""
    with open(path, 'rb') as f:
        f.seek(-4, os.SEEK_END)
        return int.from_bytes(f.read(4), 'little')


def find_sources(src: str, names: Sequence[str] = FILES) -> List[str]:
    """Return the ``.gz`` path of each name under ``src``.

    Raises:
        FileNotFoundError: Naming the first missing file and the Debian
            package that ships it.
    """
    paths = []
    for name in names:
        path = osp.join(src, name + '.gz')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path} not found. Install the Debian package '
                f'`{APT_PACKAGE}` (apt-get install {APT_PACKAGE}) or pass '
                '--src with a folder holding the four Fashion-MNIST idx '
                '.gz files.')
        paths.append(path)
    return paths


def unpack(gz_path: str, dst_dir: str) -> Optional[str]:
    """Gunzip ``gz_path`` into ``dst_dir``; return the new path or None.

    None means the file was already there with the expected size. The file
    is written under a temporary name and renamed, so an interrupted run
    never leaves a truncated file that looks finished.
    """
    name = osp.basename(gz_path)[:-len('.gz')]
    out = osp.join(dst_dir, name)
    if osp.isfile(out) and osp.getsize(out) == _gzip_size(gz_path):
        return None
    tmp = out + '.part'
    with gzip.open(gz_path, 'rb') as fin, open(tmp, 'wb') as fout:
        shutil.copyfileobj(fin, fout)
    os.replace(tmp, out)
    return out


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Gunzip Fashion-MNIST into the benchmarks data_root')
    parser.add_argument(
        '--src',
        default=DEFAULT_SRC,
        help=f'folder with the idx .gz files (default: {DEFAULT_SRC})')
    parser.add_argument(
        '--dst',
        default=DEFAULT_DST,
        help=f'data_root to unpack into (default: {DEFAULT_DST})')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        sources = find_sources(args.src)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    os.makedirs(args.dst, exist_ok=True)
    for gz_path in sources:
        out = unpack(gz_path, args.dst)
        name = osp.basename(gz_path)[:-len('.gz')]
        print(f'{"unpacked" if out else "up to date"}: '
              f'{osp.join(args.dst, name)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
