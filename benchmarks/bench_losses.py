"""Forward+backward time of each mmlt loss relative to plain cross-entropy.

Usage: ``python benchmarks/bench_losses.py [--batch 512] [--classes 1000]``.

Every loss gets the same random ``batch x classes`` logits (float32, CPU,
standard normal; LDAM gets cosines in [-1, 1], what its normalised head
produces) and hard labels (class indices, as MMPretrain's head passes them without
Mixup/CutMix); losses that need them get long-tailed class counts (imbalance
ratio 100) and, for the influence-balanced losses, a ``batch x 768`` feature
``h`` that also requires gradients. The baseline is MMPretrain's
``CrossEntropyLoss`` called as its head calls it.

How the ratio is measured: in each round, every loss runs ``--iters``
forward+backward passes, each right after one of the baseline (A B A B
...); a pair's ratio is the loss's time over the baseline's just before
it, and the printed ratio is the median over all ``--rounds x --iters``
pairs of a loss, so load from other processes on a shared machine, and
the machine's own drift, affect both sides of a ratio alike (timing ten
baseline passes, then ten of the loss, gave ratios that moved by half
between runs on this project's 2-core virtual machine). One
thread by default (``--threads``): on a loaded 2-core machine, multi-threaded
element-wise kernels were far noisier. ``--soft`` adds the same table with
Mixup-style soft labels for the losses that accept them.

Memory: on glibc the script asks ``malloc`` (``mallopt``) to keep freed
memory in the process instead of returning it to the OS, as PyTorch's
caching allocator does on GPUs. With glibc's defaults every pass of every
loss paid page faults for its fresh 2 MB tensors, whose cost on this
project's virtual machine varied over time by 3x (cross-entropy alone
took 0.7 ms in one minute and 2.3 ms in the next) and swamped the
arithmetic being compared. ``--os-malloc`` keeps glibc's defaults.
"""
import argparse
import os.path as osp
import platform
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from benchmarks.lt_benchmark import git_provenance  # noqa: E402
from benchmarks.lt_benchmark import machine_info, write_report  # noqa: E402

LIMIT = 1.5


def long_tail_counts(num_classes: int, max_count: int,
                     ratio: float) -> torch.Tensor:
    """``n_i = int(n_max * ratio^(-i / (C - 1)))`` (Cao et al. profile)."""
    i = torch.arange(num_classes, dtype=torch.float64)
    return (max_count * ratio**(-i / max(num_classes - 1, 1))).long()


def loss_configs() -> List[Tuple[str, dict]]:
    """(row name, loss config) for every loss, baseline first."""
    return [
        ('CrossEntropyLoss (MMPretrain, baseline)',
         dict(type='CrossEntropyLoss')),
        ('SoftmaxFocalLoss', dict(type='SoftmaxFocalLoss')),
        ('SoftmaxFocalLoss alpha=inverse_frequency',
         dict(type='SoftmaxFocalLoss', alpha='inverse_frequency')),
        ('JointFocalCELoss', dict(type='JointFocalCELoss')),
        ('ClassBalancedLoss softmax', dict(type='ClassBalancedLoss')),
        ('ClassBalancedLoss focal',
         dict(type='ClassBalancedLoss', loss_type='focal')),
        ('ClassBalancedLoss sigmoid',
         dict(type='ClassBalancedLoss', loss_type='sigmoid')),
        ('ClassBalancedLoss sigmoid_focal',
         dict(type='ClassBalancedLoss', loss_type='sigmoid_focal')),
        ('CostSensitiveCELoss', dict(type='CostSensitiveCELoss')),
        ('LDAMLoss (cosine logits)', dict(type='LDAMLoss')),
        ('LDAMLoss + DRW weights (cosine logits)',
         dict(type='LDAMLoss', class_weight='drw')),
        ('BalancedSoftmaxLoss', dict(type='BalancedSoftmaxLoss')),
        ('LogitAdjustedLoss', dict(type='LogitAdjustedLoss')),
        ('SoftmaxEQLLoss', dict(type='SoftmaxEQLLoss')),
        ('InfluenceBalancedLoss', dict(type='InfluenceBalancedLoss')),
        ('InfluenceBalancedFocalLoss',
         dict(type='InfluenceBalancedFocalLoss')),
        ('CDTLoss', dict(type='CDTLoss')),
        ('FocalHeatmapLoss (N x C)', dict(type='FocalHeatmapLoss')),
        # not mmlt's: how far MMPretrain's own sigmoid focal loss is from
        # CE, for the sigmoid rows above (not held to the limit)
        ('FocalLoss (MMPretrain sigmoid, reference)',
         dict(type='FocalLoss')),
    ]


SOFT_LABEL_LOSSES = ('CrossEntropyLoss', 'SoftmaxFocalLoss',
                     'JointFocalCELoss', 'ClassBalancedLoss',
                     'CostSensitiveCELoss', 'BalancedSoftmaxLoss',
                     'LogitAdjustedLoss', 'SoftmaxEQLLoss',
                     'InfluenceBalancedLoss', 'InfluenceBalancedFocalLoss',
                     'CDTLoss', 'FocalHeatmapLoss')


def make_step(cfg: dict, logits: torch.Tensor, label: torch.Tensor,
              counts: torch.Tensor, feats: torch.Tensor
              ) -> Callable[[], None]:
    """One forward+backward of the loss, called as mmlt's head calls it."""
    import inspect

    from mmlt.models.losses import effective_number_weights
    from mmlt.registry import MODELS
    cfg = dict(cfg)
    drw = cfg.get('class_weight') == 'drw'
    if drw:
        cfg['class_weight'] = effective_number_weights(counts,
                                                       0.9999).tolist()
    if cfg['type'] == 'CrossEntropyLoss' and label.dim() == 2:
        cfg['use_soft'] = True
    loss = MODELS.build(cfg)
    if cfg['type'] == 'LDAMLoss':
        # LDAM's logits are cosines (LTNormedLinearClsHead), scaled by s=30
        # inside the loss; 30 x N(0, 1) logits would put a fifth of the
        # softmax terms in float32's slow denormal range
        logits = (torch.rand(logits.shape, generator=torch.Generator(
        ).manual_seed(1)) * 2 - 1).requires_grad_()
    if hasattr(loss, 'set_class_counts'):
        loss.set_class_counts(counts)
    params = inspect.signature(loss.forward).parameters
    kwargs = dict(avg_factor=logits.shape[0])
    if 'feats' in params:
        kwargs['feats'] = feats

    def step() -> None:
        logits.grad = None
        feats.grad = None
        loss(logits, label, **kwargs).backward()

    return step


def reference_steps(logits: torch.Tensor, feats: torch.Tensor,
                    counts: torch.Tensor) -> Dict[str, Callable[[], None]]:
    """Parts of some losses timed on their own (rows marked 'reference',
    not held to the limit): lower bounds for the losses that contain them.

    * the two transcendental passes any sigmoid focal loss needs per
      element (``p = sigmoid(z)`` and a logarithm for ``log(1 - p)``),
      forward only;
    * the equalization loss's random draws alone (which tail entries stay,
      :func:`~mmlt.models.losses.softmax_eql_loss.bernoulli_positions`,
      for the default ``gamma``, on the tail block of these counts);
    * the L1 norm of the features, forward and backward, as the
      influence-balanced losses compute it: their part that cross-entropy
      does not have.
    """
    from mmlt.models.losses import SoftmaxEQLLoss
    z = logits.detach()
    gamma = SoftmaxEQLLoss().gamma

    def sigmoid_log() -> None:
        torch.sigmoid(z).log_()

    def eql_draws() -> None:
        torch.rand(z.shape) < gamma

    def feats_l1() -> None:
        feats.grad = None
        feats.abs().sum(dim=1).sum().backward()

    return {
        'sigmoid + log of N x C, forward (reference: sigmoid focal floor)':
        sigmoid_log,
        'SoftmaxEQLLoss draws alone (reference)': eql_draws,
        'L1 norm of the N x 768 features, fwd+bwd (reference: IB part)':
        feats_l1,
    }


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to serve large tensors from the heap and never
    give freed memory back to the OS (``M_MMAP_THRESHOLD`` 32 MiB, the
    largest it accepts, and ``M_TRIM_THRESHOLD`` 1 GiB). False where the
    C library is not glibc."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and \
        bool(mallopt(m_trim_threshold, 1 << 30))


def _time(step: Callable[[], None]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def measure(steps: Dict[str, Callable[[], None]], rounds: int,
            iters: int) -> Dict[str, Tuple[float, float]]:
    """{name: (median ms per forward+backward, median ratio to the first)}.

    Every pass of a loss is timed right after a pass of the baseline (the
    first step); its ratio is the quotient of the two.
    """
    names = list(steps)
    base_step = steps[names[0]]
    for step in steps.values():  # warm-up
        for _ in range(3):
            step()
    times: Dict[str, List[float]] = {name: [] for name in names}
    ratios: Dict[str, List[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            for _ in range(iters):
                base = _time(base_step)
                took = base if name == names[0] else _time(steps[name])
                times[name].append(took)
                ratios[name].append(took / base)
    return {
        name: (statistics.median(times[name]) * 1e3,
               statistics.median(ratios[name]))
        for name in names
    }


def print_table(title: str, results: Dict[str, Tuple[float, float]],
                limit: float, markdown: List[str]) -> List[str]:
    """Print the table; append it to ``markdown``; return the slow rows."""
    print(f'\n{title}')
    width = max(len(n) for n in results)
    print(f'{"loss":<{width}}  {"ms":>7}  {"ratio":>6}')
    markdown += ['', f'{title}:', '', '| loss | ms | ratio to CE |',
                 '|---|---|---|']
    slow = []
    for name, (ms, ratio) in results.items():
        flag = '' if ratio <= limit else f'  > {limit}x'
        if ratio > limit and 'reference' not in name:
            slow.append(name)
        print(f'{name:<{width}}  {ms:7.3f}  {ratio:6.2f}{flag}')
        mark = f' (> {limit}x)' if flag else ''
        markdown.append(f'| {name} | {ms:.3f} | {ratio:.2f}{mark} |')
    return slow


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=512)
    parser.add_argument('--classes', type=int, default=1000)
    parser.add_argument('--rounds', type=int, default=21)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--soft', action='store_true',
                        help='also time Mixup-style soft labels')
    parser.add_argument('--os-malloc', action='store_true',
                        help="keep glibc's malloc defaults (freed memory "
                        'goes back to the OS; page faults in every pass)')
    parser.add_argument('--out', help='markdown file whose loss-speed '
                        'section to rewrite (e.g. docs/benchmarks.md)')
    parser.add_argument('--only', nargs='+', metavar='TEXT',
                        help='time only the rows whose name contains one of '
                        'these strings (the baseline is always timed)')
    args = parser.parse_args(argv)

    import mmlt  # noqa: F401  (registers the losses)
    kept = False if args.os_malloc else keep_freed_memory()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    n, c = args.batch, args.classes
    logits = torch.randn(n, c, generator=gen).requires_grad_()
    feats = torch.randn(n, 768, generator=gen).abs().requires_grad_()
    label = torch.randint(0, c, (n, ), generator=gen)
    counts = long_tail_counts(c, 500, 100)
    setup = (f'{n} x {c} float32 logits, forward+backward, '
             f'{args.rounds} rounds x {args.iters} passes, '
             f'{torch.get_num_threads()} thread(s), freed memory '
             + ('kept in the process (mallopt)' if kept else
                "returned to the OS (malloc's defaults)"))
    how = (f'ratio = median over all passes of (loss time / time of the '
           f'baseline pass just before it); limit {LIMIT}x')
    print(f'bench_losses: {setup}; torch {torch.__version__}, '
          f'{platform.processor() or platform.machine()}, '
          f'python {platform.python_version()}')
    print(how)
    def selected(name: str) -> bool:
        return not args.only or any(text in name for text in args.only)

    configs = loss_configs()
    if args.only:
        configs = configs[:1] + [(name, cfg) for name, cfg in configs[1:]
                                 if selected(name)]
        if len(configs) == 1:
            parser.error(f'--only {args.only} matches no loss')
    steps = {
        name: make_step(cfg, logits, label, counts, feats)
        for name, cfg in configs
    }
    for name, step in reference_steps(logits, feats, counts).items():
        if selected(name):
            steps[name] = step
    markdown = [
        '## Loss speed (benchmarks/bench_losses.py)', '',
        f'{setup}; {how}. Target: every mmlt loss within {LIMIT}x of '
        "MMPretrain's CrossEntropyLoss."
    ]
    slow = print_table('hard labels (class indices)',
                       measure(steps, args.rounds, args.iters), LIMIT,
                       markdown)
    if args.soft:
        lam = torch.rand(n, 1, generator=gen)
        perm = torch.randperm(n, generator=gen)
        one_hot = torch.nn.functional.one_hot(label, c).float()
        soft = lam * one_hot + (1 - lam) * one_hot[perm]
        soft_steps = {
            name: make_step(cfg, logits, soft, counts, feats)
            for name, cfg in configs
            if cfg['type'] in SOFT_LABEL_LOSSES
        }
        print_table('soft labels (Mixup-style, for information)',
                    measure(soft_steps, args.rounds, args.iters), LIMIT,
                    markdown)
    verdict = 'all within the limit' if not slow else \
        f'above {LIMIT}x: {", ".join(slow)}'
    print(f'\n{verdict}')
    if args.out:
        command = ' '.join(['python benchmarks/bench_losses.py'] +
                           (argv if argv is not None else sys.argv[1:]))
        markdown += [
            '', f'Result: {verdict}.', '',
            f'Machine: {machine_info(sys.executable)}. '
            f'Code: {git_provenance()}. Command: `{command}`'
        ]
        write_report(args.out, 'loss-speed', '\n'.join(markdown))
        print(f'updated {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
