"""Protocols and section plans of ``benchmarks/lt_benchmark.py``.

A *protocol* fixes how every row of a section is trained:

- ``converged`` (the default, docs/benchmarks.md's evidence): each config's
  own schedule (the protocol configs train ResNet-20 on Fashion-MNIST-LT
  with n_max 1,000 for 60 epochs, see
  ``configs/_base_/schedules/lt_protocol_sgd_cosine_60e.py``), validation on
  the held-out split as the config sets it, one checkpoint at the end.
  Rows are kept under ``<work-dir>/converged/<row>/seed<N>``, so a row (the
  cross-entropy baseline) shared by several sections is trained once and a
  two-stage row finds its stage 1 whichever section ran it.
- ``smoke``: the old short setting, a fixed ``--epochs`` (default 4) for
  every row, validation and checkpoint only at the end; for checking that
  the harness and the configs run, not for choosing a method.

A *section plan* lists the rows of one section of docs/benchmarks.md under
the converged protocol, two-stage and test-only rows chained to the
cross-entropy row, so ``--section NAME`` alone reproduces it.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from benchmarks.lt_runs import ConfigSpec


@dataclass(frozen=True)
class Protocol:
    name: str
    # None: each config's own max_epochs
    epochs: Optional[int]
    # keep the config's validation interval (curves), else validate once
    keep_validation: bool
    description: str


PROTOCOLS: Dict[str, Protocol] = {
    'converged': Protocol(
        name='converged',
        epochs=None,
        keep_validation=True,
        description='each config\'s own schedule (ResNet-20, Fashion-MNIST-'
        'LT n_max 1,000, SGD with warm-up and cosine decay, 60 epochs; '
        'two-stage rows their own stage 2), validation on the held-out '
        'split, the final checkpoint tested'),
    'smoke': Protocol(
        name='smoke',
        epochs=4,
        keep_validation=False,
        description='a fixed short schedule for every row (--epochs), '
        'validation and checkpoint at the end only: checks that configs run, '
        'far from convergence'),
}

# ------------------------------------------------------------- the rows
_FM = '1xb128_fashion-mnist-lt1k-ir100'


def _ce() -> ConfigSpec:
    return ConfigSpec('ce', f'configs/baselines/resnet20_ce_{_FM}.py')


def _row(name: str, family: str, method: str, **kw) -> ConfigSpec:
    return ConfigSpec(name, f'configs/{family}/{method}_resnet20_{_FM}.py',
                      **kw)


def _losses() -> List[ConfigSpec]:
    rows = [_ce(), ConfigSpec('focal',
                           f'configs/baselines/resnet20_focal_{_FM}.py')]
    for name in ('softmax-focal', 'cb-ce', 'cb-focal', 'cb-sigmoid', 'cs-ce',
                 'ldam', 'ldam-drw', 'ce-drw', 'balanced-softmax',
                 'logit-adjusted', 'cdt', 'seql', 'ib', 'ib-focal',
                 'joint-focal-ce', 'ce-mixup-off'):
        rows.append(_row(name, 'losses', name))
    # post-hoc logit adjustment changes only the test-time logits of the
    # cross-entropy model: tested on its checkpoint, not trained again
    rows.append(_row('ce-posthoc-la', 'losses', 'ce-posthoc-la', after='ce',
                     test_only='{stage1_checkpoint}'))
    return rows


def _samplers() -> List[ConfigSpec]:
    return [_ce()] + [
        _row(name, 'samplers', name)
        for name in ('class-balanced-sampler', 'sqrt-sampler',
                     'progressive-sampler', 'dynamic-sampler', 'drs')
    ]


def _heads_two_stage() -> List[ConfigSpec]:
    return [
        _ce(),
        _row('cosine-bnneck-ce', 'heads', 'cosine-bnneck-ce'),
        _row('cosine-ldam', 'heads', 'cosine-ldam'),
        _row('deep-supervision', 'heads', 'deep-supervision'),
        _row('crt', 'two_stage', 'crt', after='ce'),
        _row('lws', 'two_stage', 'lws', after='ce'),
        # τ picked on the held-out validation split by the search tool,
        # which writes the τ-normalised checkpoint that is then tested
        _row('tau-norm', 'two_stage', 'tau-norm', after='ce',
             prepare='{python} tools/analysis_tools/tau_norm_search.py '
             '{stage1_config} {stage1_checkpoint} --split val '
             '--out {run_dir}/tau_search.json '
             '--save-checkpoint {run_dir}/tau_norm.pth',
             test_only='{run_dir}/tau_norm.pth'),
    ]


def _bag_of_tricks() -> List[ConfigSpec]:
    cam = ('{python} tools/dataset/generate_cam_samples.py {stage1_config} '
           '{stage1_checkpoint} --out-dir {run_dir}/cam --seed {seed}')
    cam_root = 'train_dataloader.dataset.datasets.1.data_root={run_dir}/cam'
    return [
        _ce(),
        _row('drs-cam', 'cam_sampling', 'drs-cam', after='ce', prepare=cam,
             cfg=[cam_root]),
        _row('mixup', 'cam_sampling', 'bot-combo-stage1-mixup'),
        _row('bot-combo', 'cam_sampling', 'bot-combo', after='mixup',
             prepare=cam, cfg=[cam_root]),
        _row('flip-tta', 'tta', 'flip-tta', after='ce',
             test_only='{stage1_checkpoint}', test_args=['--tta']),
        _row('flip-multiscale-tta', 'tta', 'flip-multiscale-tta', after='ce',
             test_only='{stage1_checkpoint}', test_args=['--tta']),
    ]


SECTIONS = {
    'lt-losses': (
        'Fashion-MNIST-LT (n_max 1,000, IR 100), converged protocol: every '
        'classification loss against cross-entropy', _losses),
    'lt-samplers': (
        'Fashion-MNIST-LT (n_max 1,000, IR 100), converged protocol: '
        'samplers', _samplers),
    'lt-heads-two-stage': (
        'Fashion-MNIST-LT (n_max 1,000, IR 100), converged protocol: heads '
        'and decoupled (two-stage) classifiers', _heads_two_stage),
    'lt-bag-of-tricks': (
        'Fashion-MNIST-LT (n_max 1,000, IR 100), converged protocol: DRS with '
        'CAM-based sampling, the Bag-of-Tricks chain, TTA', _bag_of_tricks),
}


def section_plan(section: str) -> Tuple[str, List[ConfigSpec]]:
    """Title and rows (fresh copies) of a planned section.

    Raises:
        KeyError: For a section without a plan, naming the planned ones.
    """
    if section not in SECTIONS:
        raise KeyError(f'section {section!r} has no plan; planned sections: '
                       f'{sorted(SECTIONS)} (or give --configs)')
    title, rows = SECTIONS[section]
    return title, rows()
