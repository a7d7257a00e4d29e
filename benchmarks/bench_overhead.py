"""What mmlt's pieces cost over plain MMPretrain, where a user feels it: a
training iteration and a validation pass.

Usage, from the repository root:
``python -m benchmarks.bench_overhead [--out docs/benchmarks.md]``.

Two Runners are built in one process from the benchmark protocol's
cross-entropy config (same backbone, data, optimizer and initial weights):

- **mmlt**: ``LTLinearClsHead`` with an mmlt loss (``--loss``, default
  ``BalancedSoftmaxLoss``, which reads the class counts the context hands
  over), ``RebalancedSampler`` (class-balanced), mmlt's default hooks
  (``LongTailContextHook``, ``CheckFiniteLossHook``, ``LoadFromCheckHook``)
  and ``LongTailMetric`` at validation;
- **plain**: MMPretrain's ``LinearClsHead`` with ``CrossEntropyLoss``,
  MMEngine's ``DefaultSampler``, no mmlt hook and MMPretrain's
  ``Accuracy`` at validation.

A training iteration is what the Runner's loop does for one batch: fetch it
from the dataloader (sampler, dataset, pipeline, collate; no worker
processes, so the cost is counted where it runs), then
``train_loop.run_iter`` (the hooks around it and ``model.train_step``). A
validation pass is ``val_loop.run()`` over the held-out split (the hooks,
the metric's processing and evaluation included). Each mmlt call is timed
right after a plain one and the section reports the median of the
per-pair ratios, so load from other processes hits both sides of a ratio
alike (:func:`benchmarks.timing.paired`). Targets: <= 1.03x per
iteration, <= 1.05x per validation pass. The loss's own share of an
iteration is ``python -m benchmarks.bench_losses --train-step``'s section
(every mmlt loss, on the same config).
"""
import argparse
import copy
import os
import os.path as osp
import sys
import tempfile
from typing import Callable, Dict, Optional, Sequence

import torch

from benchmarks.common import ROOT, git_provenance, machine_info
from benchmarks.page import write_report
from benchmarks.timing import paired

DEFAULT_CONFIG = \
    'configs/baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py'
ITER_TARGET = 1.03
VAL_TARGET = 1.05
MMLT_HOOKS = ('long_tail_context', 'check_finite_loss', 'load_from_check')


def variant_configs(config: str, loss: str):
    """``(plain, mmlt)`` configs derived from ``config``."""
    from mmengine.config import Config
    base = Config.fromfile(osp.join(ROOT, config))
    for cfg in (base, ):
        for loader in ('train_dataloader', 'val_dataloader'):
            cfg[loader].num_workers = 0
            cfg[loader].persistent_workers = False
        cfg.default_hooks.checkpoint = None
        cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 6)
    head = base.model.head
    mmlt = copy.deepcopy(base)
    mmlt.model.head = dict(
        type='LTLinearClsHead',
        num_classes=head.num_classes,
        in_channels=head.in_channels,
        loss=dict(type=loss),
        init_cfg=head.get('init_cfg'))
    mmlt.train_dataloader.sampler = dict(
        type='RebalancedSampler', strategy='class_balanced')
    mmlt.val_evaluator = dict(type='LongTailMetric', topk=(1, 5))
    mmlt.experiment_name = 'overhead_mmlt'

    plain = copy.deepcopy(base)
    plain.model.head = dict(
        type='LinearClsHead',
        num_classes=head.num_classes,
        in_channels=head.in_channels,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=head.get('init_cfg'))
    plain.train_dataloader.sampler = dict(type='DefaultSampler',
                                          shuffle=True)
    for key in MMLT_HOOKS:
        plain.default_hooks[key] = None
    plain.val_evaluator = dict(type='Accuracy', topk=(1, 5))
    plain.experiment_name = 'overhead_plain'
    return plain, mmlt


def prepared_runner(cfg, work_dir: str):
    """A Runner set up as ``Runner.train()`` leaves it just before its
    first epoch (loops, optimizer, schedulers, ``before_run``,
    initial weights, ``before_train`` and ``before_train_epoch``)."""
    from mmengine.runner import Runner
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    runner = Runner.from_cfg(cfg)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.param_schedulers = runner.build_param_scheduler(
        runner.param_schedulers)
    runner._val_loop = runner.build_val_loop(runner._val_loop)
    runner.call_hook('before_run')
    torch.manual_seed(0)
    runner._init_model_weights()
    runner.optim_wrapper.initialize_count_status(
        runner.model, 0, runner.train_loop.max_iters)
    runner.call_hook('before_train')
    runner.call_hook('before_train_epoch')
    runner.model.train()
    return runner


def iteration_step(runner) -> Callable[[], None]:
    """One training iteration of ``runner``'s loop, data fetch included;
    a new epoch of the dataloader when one runs out."""
    loop = runner.train_loop
    state = dict(it=iter(loop.dataloader), idx=0)

    def step() -> None:
        try:
            batch = next(state['it'])
        except StopIteration:
            state['it'] = iter(loop.dataloader)
            batch = next(state['it'])
        runner.model.train()
        loop.run_iter(state['idx'], batch)
        state['idx'] += 1

    return step


def validation_step(runner) -> Callable[[], None]:
    def step() -> None:
        runner.val_loop.run()
        runner.model.train()

    return step


def measure(config: str, loss: str, iters: int, val_rounds: int,
            threads: int) -> Dict[str, object]:
    """Median ms and median ratio (mmlt / plain) of an iteration and a
    validation pass."""
    import mmlt  # noqa: F401  (registers mmlt's modules)
    torch.set_num_threads(threads)
    plain_cfg, mmlt_cfg = variant_configs(config, loss)
    with tempfile.TemporaryDirectory() as tmp:
        plain = prepared_runner(plain_cfg, osp.join(tmp, 'plain'))
        lt = prepared_runner(mmlt_cfg, osp.join(tmp, 'mmlt'))
        it = paired({'plain': iteration_step(plain),
                     'mmlt': iteration_step(lt)},
                    rounds=1, iters=iters, warmup=3)
        val = paired({'plain': validation_step(plain),
                      'mmlt': validation_step(lt)},
                     rounds=1, iters=val_rounds, warmup=1)
        batch = plain_cfg.train_dataloader.batch_size
        val_images = len(plain.val_loop.dataloader.dataset)
    return dict(iteration=it, validation=val, batch=batch,
                val_images=val_images)


def render(result: Dict[str, object], args: argparse.Namespace) -> str:
    it, val = result['iteration'], result['validation']
    it_ratio, val_ratio = it['mmlt'][1], val['mmlt'][1]
    lines = [
        '## mmlt over plain MMPretrain: a training iteration and a '
        'validation pass (benchmarks/bench_overhead.py)',
        '',
        '| what | plain MMPretrain (ms) | mmlt (ms) | ratio (median of '
        'pairs) | target | met |',
        '|---|---:|---:|---:|---:|---|',
        f'| training iteration (batch {result["batch"]}) | '
        f'{it["plain"][0]:.1f} | {it["mmlt"][0]:.1f} | {it_ratio:.3f}x | '
        f'<= {ITER_TARGET}x | {"yes" if it_ratio <= ITER_TARGET else "no"} |',
        f'| validation pass ({result["val_images"]} images) | '
        f'{val["plain"][0]:.0f} | {val["mmlt"][0]:.0f} | {val_ratio:.3f}x | '
        f'<= {VAL_TARGET}x | {"yes" if val_ratio <= VAL_TARGET else "no"} |',
        '',
        f'`{args.config}` for both. mmlt: LTLinearClsHead + {args.loss}, '
        'RebalancedSampler (class-balanced), LongTailContextHook, '
        'CheckFiniteLossHook, LoadFromCheckHook, LongTailMetric. Plain: '
        'LinearClsHead + CrossEntropyLoss, DefaultSampler, Accuracy. An '
        'iteration: dataloader fetch (no workers) + the loop\'s run_iter '
        '(hooks, train_step); a validation pass: val_loop.run(). '
        f'{args.iters} iteration pairs and {args.val_rounds} validation '
        f'pairs, each mmlt call right after a plain one; {args.threads} '
        'thread(s). The loss\'s own share of an iteration: the loss-speed '
        'section.',
        f'- Machine: {machine_info(sys.executable)}',
        f'- Code: {git_provenance()}',
        f'- Command: `python -m benchmarks.bench_overhead --iters '
        f'{args.iters} --val-rounds {args.val_rounds} --threads '
        f'{args.threads}`',
    ]
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time a training iteration and a validation pass with '
        "mmlt's pieces against plain MMPretrain, interleaved")
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--loss', default='BalancedSoftmaxLoss',
                        help='the mmlt loss of the mmlt side')
    parser.add_argument('--iters', type=int, default=60,
                        help='iteration pairs timed')
    parser.add_argument('--val-rounds', type=int, default=5,
                        help='validation-pass pairs timed')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--out', default='docs/benchmarks.md')
    parser.add_argument('--section', default='overhead')
    args = parser.parse_args(argv)
    for name in ('iters', 'val_rounds', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got '
                         f'{getattr(args, name)}')
    if not osp.isfile(osp.join(ROOT, args.config)):
        parser.error(f'config {args.config} not found')
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    result = measure(args.config, args.loss, args.iters, args.val_rounds,
                     args.threads)
    body = render(result, args)
    print(body)
    if args.out:
        write_report(args.out, args.section, body)
        print(f'\nwritten to {args.out} (section {args.section!r})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
