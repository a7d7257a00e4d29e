"""What each mmlt loss costs: its share of a training iteration, and its
forward+backward time relative to cross-entropy.

Usage: ``python -m benchmarks.bench_losses [--train-step] [--out FILE]``.

Two measurements, both against MMPretrain's ``CrossEntropyLoss`` in the
same run:

* ``--train-step`` (the one that decides whether a loss is fast enough): a
  real training iteration (``model.train_step``: data preprocessor,
  forward, loss, backward, optimizer step) of the benchmark protocol's
  Fashion-MNIST-LT setup (ResNet-20, batch 128 of 1 x 28 x 28 images, 10
  classes, SGD; ``--train-config``), on ``--train-threads``
  threads. Each loss's forward+backward on that head's logits (128 x 10, as
  the head calls it) is timed on its own, and its share of the median
  cross-entropy iteration is reported. A loss adding more than 2 % of an
  iteration is worth optimising; below that it is not. The iteration time
  with each loss, paired with a cross-entropy iteration just before it, is
  reported too (a check: on a shared machine its noise is larger than
  these losses).
* the relative table: every loss's forward+backward on ``--batch x
  --classes`` logits (default 512 x 1000, float32, CPU, ``--threads``),
  each pass timed right after a pass of cross-entropy (A B A B ...) and
  reported as the median ratio, with peers in the same run: MMPretrain's
  sigmoid ``FocalLoss`` and torchvision's ``sigmoid_focal_loss``.

Losses that need them get long-tailed class counts (imbalance ratio 100)
through ``set_class_counts``, as mmlt's head hands them over, and the
influence-balanced losses a feature ``h`` that requires gradients.
"""
import argparse
import copy
import os.path as osp
import platform
import re
import sys
from typing import Callable, Dict, List, Optional, Tuple

import torch

from benchmarks.common import ROOT, git_provenance, machine_info
from benchmarks.page import write_report
from benchmarks.timing import median_ms, paired

BASELINE = 'CrossEntropyLoss (MMPretrain, baseline)'
TRAIN_CONFIG = ('configs/baselines/'
                'resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py')
SHARE_LIMIT = 0.02  # of an iteration: above it a loss is worth optimising


def long_tail_counts(num_classes: int, max_count: int,
                     ratio: float) -> torch.Tensor:
    """``n_i = int(n_max * ratio^(-i / (C - 1)))`` (Cao et al. profile)."""
    i = torch.arange(num_classes, dtype=torch.float64)
    return (max_count * ratio**(-i / max(num_classes - 1, 1))).long()


# the rows of a loss type that is timed with options of its own, or whose
# name alone would not say how it is fed: (suffix of the row name, options).
# Data about a few losses, not a list of them: every other registered mmlt
# loss gets one row, its defaults, under its type's name.
VARIANTS: Dict[str, Tuple[Tuple[str, dict], ...]] = {
    'SoftmaxFocalLoss': (('', {}), (' alpha=inverse_frequency',
                                    dict(alpha='inverse_frequency'))),
    'ClassBalancedLoss': (
        (' softmax', {}), (' focal', dict(loss_type='focal')),
        (' sigmoid', dict(loss_type='sigmoid')),
        (' sigmoid_focal', dict(loss_type='sigmoid_focal'))),
    # LDAM's logits are cosines (LTNormedLinearClsHead), see make_step
    'LDAMLoss': ((' (cosine logits)', {}),
                 (' + DRW weights (cosine logits)',
                  dict(class_weight='drw', class_weight_norm='weight_sum'))),
    'FocalHeatmapLoss': ((' (N x C)', {}), ),
}


def mmlt_losses() -> List[str]:
    """The loss types mmlt registers (the classes of ``mmlt.models.losses``
    in MMPretrain's ``MODELS``), in the order the configs of the
    ``lt-losses`` benchmark section first name them (so the two tables read
    alike), then those no such config names, in registration order."""
    import mmlt  # noqa: F401  (registers the losses)
    from mmlt.registry import MODELS

    from benchmarks.lt_protocol import section_plan
    registered = [name for name, cls in MODELS.module_dict.items()
                  if cls.__module__.startswith('mmlt.models.losses.')]
    named: List[str] = []
    for spec in section_plan('lt-losses')[1]:
        with open(osp.join(ROOT, spec.path)) as f:
            named += [t for t in re.findall(r"type='(\w+)'", f.read())
                      if t in registered]
    named = list(dict.fromkeys(named))
    return named + [n for n in registered if n not in named]


def loss_configs() -> List[Tuple[str, dict]]:
    """(row name, loss config) for every mmlt loss (:func:`mmlt_losses`,
    with its :data:`VARIANTS`), baseline first."""
    rows = [(BASELINE, dict(type='CrossEntropyLoss'))]
    for loss in mmlt_losses():
        for suffix, options in VARIANTS.get(loss, (('', {}), )):
            rows.append((loss + suffix, dict(type=loss, **options)))
    return rows


def build_loss(cfg: dict, counts: torch.Tensor) -> torch.nn.Module:
    """The loss of ``cfg`` with the counts handed over as the head does;
    ``class_weight='drw'``: the DRW weights (beta 0.9999) set."""
    from mmlt.models.losses import effective_number_weights
    from mmlt.registry import MODELS
    cfg = dict(cfg)
    drw = cfg.get('class_weight') == 'drw'
    if drw:
        cfg['class_weight'] = effective_number_weights(counts, 0.9999)
    loss = MODELS.build(cfg)
    if hasattr(loss, 'set_class_counts'):
        loss.set_class_counts(counts)
    return loss


def make_step(cfg: dict, logits: torch.Tensor, label: torch.Tensor,
              counts: torch.Tensor, feats: torch.Tensor
              ) -> Callable[[], None]:
    """One forward+backward of the loss, called as mmlt's head calls it."""
    from mmlt.models.heads.lt_linear_head import loss_extra_inputs
    loss = build_loss(cfg, counts)
    if cfg['type'] == 'LDAMLoss':
        # LDAM's logits are cosines (LTNormedLinearClsHead), scaled by s=30
        # inside the loss
        logits = (torch.rand(logits.shape, generator=torch.Generator(
        ).manual_seed(1)) * 2 - 1).requires_grad_()
    kwargs = dict(avg_factor=logits.shape[0])
    # the classifier input, for a loss whose class declares it in
    # ``extra_inputs`` (the head's own rule)
    if 'feats' in loss_extra_inputs(loss):
        kwargs['feats'] = feats

    def step() -> None:
        logits.grad = feats.grad = None
        loss(logits, label, **kwargs).backward()

    return step


def peer_steps(logits: torch.Tensor,
               label: torch.Tensor) -> Dict[str, Callable[[], None]]:
    """Sigmoid focal losses of other libraries, forward+backward."""
    from mmpretrain.models.losses import FocalLoss
    from torchvision.ops import sigmoid_focal_loss
    mmpretrain_focal = FocalLoss()
    one_hot = torch.nn.functional.one_hot(label, logits.shape[1]).float()

    def mmpretrain_step() -> None:
        logits.grad = None
        mmpretrain_focal(logits, label, avg_factor=logits.shape[0]).backward()

    def torchvision_step() -> None:
        logits.grad = None
        (sigmoid_focal_loss(logits, one_hot, reduction='sum') /
         logits.shape[0]).backward()

    return {
        'FocalLoss (MMPretrain sigmoid, peer)': mmpretrain_step,
        'sigmoid_focal_loss (torchvision, peer)': torchvision_step,
    }


def train_steps(config: str, configs: List[Tuple[str, dict]], batch: int,
                counts: torch.Tensor) -> Dict[str, Callable[[], None]]:
    """One real training iteration of ``config``'s model per loss: the
    same data and initial weights, the loss (LDAM on the cosine head it is
    trained with) in place of the config's."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.structures import DataSample

    from mmlt.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, config))
    num_classes = cfg.model.head.num_classes
    channels = cfg.model.backbone.get('in_channels', 3)
    gen = torch.Generator().manual_seed(0)
    side = _input_side(cfg)
    images = torch.randint(0, 256, (batch, channels, side, side),
                           dtype=torch.uint8, generator=gen)
    labels = torch.randint(0, num_classes, (batch, ), generator=gen)
    steps = {}
    for name, loss_cfg in configs:
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
        loss_cfg = dict(loss_cfg)
        if loss_cfg.get('class_weight') == 'drw':
            from mmlt.models.losses import effective_number_weights
            loss_cfg['class_weight'] = effective_number_weights(
                counts, 0.9999).tolist()
        model_cfg.head.loss = loss_cfg
        if loss_cfg['type'] == 'LDAMLoss':
            model_cfg.head.type = 'LTNormedLinearClsHead'
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
        model.head.set_class_counts(counts.tolist())
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        data = dict(
            inputs=list(images),
            data_samples=[DataSample().set_gt_label(y) for y in labels])

        def step(model=model, optim_wrapper=optim_wrapper, data=data):
            model.train_step(data, optim_wrapper)

        steps[name] = step
    return steps


def _input_side(cfg) -> int:
    """The training crop side of a config (its RandomCrop / Resize step),
    32 when the pipeline names none."""
    for step in reversed(cfg.train_dataloader.dataset.get(
            'pipeline', None) or cfg.get('train_pipeline', [])):
        for key in ('crop_size', 'scale'):
            if isinstance(step.get(key), int):
                return step[key]
    return 32


def train_step_section(args: argparse.Namespace,
                       configs: List[Tuple[str, dict]],
                       markdown: List[str]) -> List[str]:
    """Time the iterations and each loss on the head's logits; print and
    add the table; return the rows above :data:`SHARE_LIMIT`."""
    torch.set_num_threads(args.train_threads)
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, args.train_config))
    num_classes = cfg.model.head.num_classes
    lt = cfg.train_dataloader.dataset
    counts = long_tail_counts(num_classes, lt.get('max_count') or 6000,
                              lt.get('imbalance_ratio', 100))
    optimizer = cfg.optim_wrapper.optimizer.type
    clip = ' with gradient clipping' if cfg.optim_wrapper.get(
        'clip_grad') else ''
    gen = torch.Generator().manual_seed(args.seed)
    logits = torch.randn(args.train_batch, num_classes,
                         generator=gen).requires_grad_()
    feats = torch.randn(args.train_batch, 320,
                        generator=gen).abs().requires_grad_()
    label = torch.randint(0, num_classes, (args.train_batch, ),
                          generator=gen)
    loss_ms = {
        name: median_ms(make_step(cfg, logits, label, counts, feats),
                        args.loss_reps)
        for name, cfg in configs
    }
    iterations = paired(
        train_steps(args.train_config, configs, args.train_batch, counts),
        rounds=1, iters=args.train_pairs, warmup=args.train_warmup)
    iteration_ms = iterations[BASELINE][0]
    setup = (f'`{args.train_config}`: `model.train_step` (data '
             f'preprocessor, forward, loss, backward, {optimizer} step'
             f'{clip}) on batch {args.train_batch} of {_input_side(cfg)} x '
             f'{_input_side(cfg)} images, {num_classes} classes, {args.train_threads} '
             f'thread(s); cross-entropy iteration {iteration_ms:.0f} ms '
             f'(median). Loss: forward+backward on {args.train_batch} x '
             f'{num_classes} logits as the head calls it (median of '
             f'{args.loss_reps}); share = loss / cross-entropy iteration; '
             f'iteration ratio: median over {args.train_pairs} iterations '
             'with the loss (LDAM on its cosine head), each after a '
             'cross-entropy one: a check whose noise on a shared machine '
             "exceeds the losses' cost.")
    print(f'\ntraining iteration: {setup}')
    markdown += [
        '', '### Share of a training iteration', '', setup, '',
        '| loss | loss ms | share of an iteration | extra over CE | '
        'iteration ratio to CE |', '|---|---:|---:|---:|---:|'
    ]
    above = []
    for name, _ in configs:
        share = loss_ms[name] / iteration_ms
        extra = (loss_ms[name] - loss_ms[BASELINE]) / iteration_ms
        ratio = iterations[name][1]
        if share > SHARE_LIMIT:
            above.append(name)
        print(f'{name:<45} {loss_ms[name]:8.3f} ms {100 * share:6.3f} % '
              f'{100 * extra:+7.3f} % {ratio:6.3f}')
        markdown.append(f'| {name} | {loss_ms[name]:.3f} | '
                        f'{100 * share:.3f} % | {100 * extra:+.3f} % | '
                        f'{ratio:.3f} |')
    return above


def relative_section(args: argparse.Namespace,
                     configs: List[Tuple[str, dict]],
                     markdown: List[str]) -> None:
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    n, c = args.batch, args.classes
    logits = torch.randn(n, c, generator=gen).requires_grad_()
    feats = torch.randn(n, 768, generator=gen).abs().requires_grad_()
    label = torch.randint(0, c, (n, ), generator=gen)
    counts = long_tail_counts(c, 500, 100)
    steps = {
        name: make_step(cfg, logits, label, counts, feats)
        for name, cfg in configs
    }
    steps.update(peer_steps(logits, label))
    setup = (f'{n} x {c} float32 logits, forward+backward, {args.rounds} '
             f'rounds x {args.iters} passes, {torch.get_num_threads()} '
             "thread(s), malloc's defaults; ratio = median over all passes "
             'of (loss time / time of the cross-entropy pass just before '
             'it). For information: the losses on their own, on a '
             '1000-class head; the share of an iteration above decides.')
    print(f'\nrelative table: {setup}')
    markdown += ['', '### Relative to cross-entropy', '', setup, '',
                 '| loss | ms | ratio to CE |', '|---|---:|---:|']
    for name, (ms, ratio) in paired(steps, args.rounds, args.iters).items():
        print(f'{name:<45} {ms:8.3f} ms {ratio:6.2f}')
        markdown.append(f'| {name} | {ms:.3f} | {ratio:.2f} |')


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=512)
    parser.add_argument('--classes', type=int, default=1000)
    parser.add_argument('--rounds', type=int, default=11)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--train-step', action='store_true',
                        help='also time real training iterations')
    parser.add_argument('--train-config', default=TRAIN_CONFIG)
    parser.add_argument('--train-batch', type=int, default=128)
    parser.add_argument('--train-threads', type=int, default=2)
    parser.add_argument('--train-pairs', type=int, default=6)
    parser.add_argument('--train-warmup', type=int, default=2)
    parser.add_argument('--loss-reps', type=int, default=200)
    parser.add_argument('--out', help='markdown file whose loss-speed '
                        'section to rewrite (e.g. docs/benchmarks.md)')
    parser.add_argument('--only', nargs='+', metavar='TEXT',
                        help='time only the rows whose name contains one of '
                        'these strings (the baseline is always timed)')
    args = parser.parse_args(argv)

    import mmlt  # noqa: F401  (registers the losses)
    configs = loss_configs()
    if args.only:
        configs = configs[:1] + [(name, cfg) for name, cfg in configs[1:]
                                 if any(t in name for t in args.only)]
        if len(configs) == 1:
            parser.error(f'--only {args.only} matches no loss')
    print(f'bench_losses: torch {torch.__version__}, '
          f'{platform.processor() or platform.machine()}, '
          f'python {platform.python_version()}')
    markdown = ['## Loss speed (benchmarks/bench_losses.py)']
    verdict = None
    if args.train_step:
        above = train_step_section(args, configs, markdown)
        verdict = (f'every loss below {100 * SHARE_LIMIT:.0f} % of a '
                   'training iteration: the plain forms stay' if not above
                   else f'above {100 * SHARE_LIMIT:.0f} % of an iteration: '
                   + ', '.join(above))
        markdown += ['', f'Result: {verdict}.']
        print(f'\n{verdict}')
    relative_section(args, configs, markdown)
    if args.out:
        command = ' '.join(['python -m benchmarks.bench_losses'] +
                           (argv if argv is not None else sys.argv[1:]))
        markdown += [
            '', f'Machine: {machine_info(sys.executable)}. '
            f'Code: {git_provenance()}. Command: `{command}`'
        ]
        write_report(args.out, 'loss-speed', '\n'.join(markdown))
        print(f'updated {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
