"""Cost of one epoch's plan of RebalancedSampler at scale.

    python -m benchmarks.bench_sampler [--num-samples 10000000] [--num-classes 1000]
        [--world-size 2] [--out docs/benchmarks.md]

A long-tailed label set (exponential profile, imbalance ratio 100) of
``--num-samples`` samples in ``--num-classes`` classes; each measurement runs
in a fresh process (spawn); the extra memory is the peak resident set while
the plan is built minus the resident set just before (the kernel's peak mark
is reset through /proc/self/clear_refs first). Times: the fastest of
``--epochs`` plans. Per rank: the
seconds to build one epoch's plan (``set_epoch`` + the global plan + this
rank's strided slice, what ``__iter__`` does before yielding) and the extra
peak resident memory it needs, against ``torch.multinomial`` over the same
per-sample weights and the same number of draws, timed in the same run.
Targets (issue 3): < 2 s, < 500 MB extra per rank, <= 1.5x multinomial.
"""
import argparse
import multiprocessing as mp
import resource
import sys
import time

import numpy as np

from benchmarks.common import machine_info
from benchmarks.page import write_report


class LabelSet:
    """Labels only: what the sampler reads; no image is involved."""

    def __init__(self, labels, num_classes):
        self.labels = labels
        self.metainfo = dict(classes=tuple(map(str, range(num_classes))))

    def get_gt_labels(self):
        return self.labels

    def get_group_ids(self):
        return np.zeros(len(self.labels), np.int64)

    def __len__(self):
        return len(self.labels)


def make_labels(num_samples, num_classes, ratio=100.0, seed=0):
    shares = ratio**(-np.arange(num_classes) / (num_classes - 1))
    counts = np.floor(shares / shares.sum() * num_samples).astype(np.int64)
    counts[0] += num_samples - counts.sum()
    labels = np.repeat(np.arange(num_classes), counts)
    np.random.default_rng(seed).shuffle(labels)
    return labels


def _status_mb(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def reset_peak_rss():
    """Reset the peak-RSS mark (Linux >= 4.0); return the current RSS."""
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    return _status_mb('VmRSS')


def peak_rss_mb():
    try:
        return _status_mb('VmHWM')
    except (OSError, KeyError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind, num_samples, num_classes, world_size, strategy, epochs,
            queue):
    import torch
    torch.set_num_threads(1)
    from mmlt.datasets.samplers import rebalanced_sampler as module
    labels = make_labels(num_samples, num_classes)
    module.get_dist_info = lambda: (0, world_size)
    t0 = time.perf_counter()
    sampler = module.RebalancedSampler(
        LabelSet(labels, num_classes), strategy=strategy, seed=0)
    setup = time.perf_counter() - t0
    weights = torch.from_numpy(sampler.sample_probs())
    times, extra = [], []
    for epoch in range(epochs):
        base_rss = reset_peak_rss()
        t0 = time.perf_counter()
        if kind == 'sampler':
            sampler.set_epoch(epoch)
            shard = sampler.global_plan()[0::world_size]
        else:
            g = torch.Generator().manual_seed(epoch)
            shard = torch.multinomial(
                weights, sampler.total_size, replacement=True,
                generator=g)[0::world_size]
        times.append(time.perf_counter() - t0)
        extra.append(peak_rss_mb() - base_rss)
        del shard
    queue.put(dict(kind=kind, setup=setup, seconds=min(times),
                   extra_mb=max(extra)))


def run(kind, args):
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(target=measure, args=(kind, args.num_samples,
                                             args.num_classes,
                                             args.world_size, args.strategy,
                                             args.epochs, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num-samples', type=int, default=10_000_000)
    parser.add_argument('--num-classes', type=int, default=1000)
    parser.add_argument('--world-size', type=int, default=2)
    parser.add_argument('--strategy', default='class_balanced')
    parser.add_argument('--epochs', type=int, default=3,
                        help='plans timed; the fastest is reported')
    parser.add_argument('--out', help='markdown file to update')
    args = parser.parse_args()
    ours = run('sampler', args)
    base = run('multinomial', args)
    ratio = ours['seconds'] / base['seconds']
    met = 'met' if ours['seconds'] < 2 and ours['extra_mb'] < 500 \
        else 'NOT met'
    lines = [
        '## Re-sampling plan at scale (benchmarks/bench_sampler.py)',
        '',
        f'RebalancedSampler, strategy={args.strategy}: '
        f'{args.num_samples:,} samples, {args.num_classes} classes (IR 100), '
        f'world size {args.world_size}, 1 torch thread',
        '',
        '| per rank | plan of one epoch (s) | extra peak RSS (MB) |',
        '|---|---|---|',
        f'| RebalancedSampler | {ours["seconds"]:.3f} | '
        f'{ours["extra_mb"]:.0f} |',
        f'| torch.multinomial, same weights and draws | '
        f'{base["seconds"]:.3f} | {base["extra_mb"]:.0f} |',
        '',
        f'Ratio sampler / multinomial: **{ratio:.2f}x** (target <= 1.5x); '
        f'targets < 2 s and < 500 MB: {met}. One-off setup when the sampler is built (labels grouped by class): '
        f'{ours["setup"]:.2f} s.',
        '',
        f'Machine: {machine_info(sys.executable)}. Command: `python -m '
        f'benchmarks.bench_sampler --num-samples {args.num_samples} '
        f'--num-classes {args.num_classes} --world-size {args.world_size}`',
    ]
    text = '\n'.join(lines)
    print(text)
    if args.out:
        write_report(args.out, 'sampler', text)
        print(f'updated {args.out}')


if __name__ == '__main__':
    main()
