"""The ``lt-combinations`` section's rows and the protocols' oracles, for
``benchmarks/lt_protocol.py`` and ``benchmarks/lt_benchmark.py``.

The section trains cross-entropy, the oracle (cross-entropy on a balanced
draw of the same size) and the oracle with each recipe that changes
augmentation or schedule (:data:`RECIPE_ORACLES`), the single methods the combinations start from
(the same rows as in ``lt-losses``, so their runs are shared), then every
config of ``configs/combinations/`` (each a delta on one of them), the
two-stage row chained to its stage 1, and MiSLAS (``configs/mislas/``)
after its stage 1, cross-entropy with input mixup (the ``mixup`` row of
``lt-bag-of-tricks``, shared). The oracle of a protocol is also
what the gap column of every long-tail table is measured against
(:mod:`benchmarks.lt_gap`).
"""
from typing import Dict, List, Tuple

from benchmarks.lt_rows import ConfigSpec

_FM = '1xb128_fashion-mnist-lt1k-ir100'
CE_CONFIG = f'configs/baselines/resnet20_ce_{_FM}.py'
ORACLE_CONFIG = ('configs/baselines/'
                 'resnet20_ce_1xb128_fashion-mnist-balanced248.py')
# per protocol: (its cross-entropy row, its oracle row); a protocol without
# an entry has no gap column
ORACLES: Dict[str, Tuple[ConfigSpec, ConfigSpec]] = {
    'converged': (ConfigSpec('ce', CE_CONFIG),
                  ConfigSpec('oracle', ORACLE_CONFIG)),
}
# the single methods the combinations change (configs/losses/)
METHODS = ('logit-adjusted', 'balanced-softmax', 'ldam-drw')
# (row, stage 1 row or None) of configs/combinations/, in the table's order
COMBINATIONS = (
    ('balanced-softmax-mixup', None),
    ('balanced-softmax-cutmix', None),
    ('logit-adjusted-mixup', None),
    ('logit-adjusted-cutmix', None),
    ('logit-adjusted-drs', None),
    ('logit-adjusted-crt', 'logit-adjusted'),
    ('logit-adjusted-randaugment', None),
    ('logit-adjusted-autoaugment', None),
    ('ldam-drw-randaugment', None),
    ('ldam-drw-autoaugment', None),
    ('logit-adjusted-swa', None),
    ('logit-adjusted-ema', None),
    ('logit-adjusted-200e', None),
)
# each recipe that changes augmentation or schedule: (its name, the oracle
# trained with it, the long-tailed rows that use it); their oracle rows
# (configs/combinations/oracle-<recipe>_*) follow the plain oracle in the
# table, and benchmarks/recipe_oracles.py measures the rows against both
ORACLE_STEM = '1xb128_fashion-mnist-balanced248'
RECIPE_ORACLES: Tuple[Tuple[str, str, Tuple[str, ...]], ...] = (
    ('input mixup', 'oracle-mixup',
     ('mixup', 'balanced-softmax-mixup', 'logit-adjusted-mixup', 'mislas')),
    ('CutMix', 'oracle-cutmix',
     ('balanced-softmax-cutmix', 'logit-adjusted-cutmix')),
    ('RandAugment', 'oracle-randaugment',
     ('logit-adjusted-randaugment', 'ldam-drw-randaugment')),
    ('AutoAugment', 'oracle-autoaugment',
     ('logit-adjusted-autoaugment', 'ldam-drw-autoaugment')),
    ('SWA', 'oracle-swa', ('logit-adjusted-swa', )),
    ('EMA', 'oracle-ema', ('logit-adjusted-ema', )),
    ('200 epochs', 'oracle-200e', ('logit-adjusted-200e', )),
    ('weight decay 5e-4', 'oracle-weight-decay',
     ('wb-stage1', 'weight-balancing')),
)
COMBINATIONS_DATA = (
    "FashionMNIST long-tailed by LongTailDataset (imbalance ratio 100, "
    "profile 'exp', n_max 1000, subset seed 0, the same subset for every run "
    'seed); the oracle row: the same source images drawn balanced, 248 per '
    'class (imbalance ratio 1, the same shuffles), its many/medium/few the '
    "long-tailed profile's classes; validated on 100 images per class held "
    'out of the training images neither draw uses; tested on the balanced '
    '10,000 test images')


# MiSLAS (configs/mislas/): its stage 1 is the Bag-of-Tricks stage 1 (CE
# with input mixup), the lt-bag-of-tricks row ``mixup``, shared
MISLAS_STAGE1 = ConfigSpec(
    'mixup', 'configs/cam_sampling/bot-combo-stage1-mixup_resnet20_'
    f'{_FM}.py')
MISLAS = ConfigSpec('mislas', f'configs/mislas/mislas_resnet20_{_FM}.py',
                    after='mixup')


# weight balancing (configs/weight_balancing/): its stage 1 is
# cross-entropy with a larger weight decay, the one the validation split
# chose among WEIGHT_DECAYS (row, weight decay): cross-entropy's own, the
# stage-1 config's and two larger ones (the config with --cfg-options)
WB_STAGE1_CONFIG = f'configs/weight_balancing/wb-stage1_resnet20_{_FM}.py'
WB_STAGE1 = ConfigSpec('wb-stage1', WB_STAGE1_CONFIG)
WEIGHT_DECAYS: Tuple[Tuple[str, float], ...] = (
    ('ce', 2e-4), ('wb-stage1', 5e-4), ('wb-stage1-wd1e-3', 1e-3),
    ('wb-stage1-wd2e-3', 2e-3))
WEIGHT_BALANCING = ConfigSpec(
    'weight-balancing', f'configs/weight_balancing/wb_resnet20_{_FM}.py',
    after=WB_STAGE1.name)
# post-hoc logit adjustment (tau 1) on weight balancing's stage 1: tested,
# not trained
WB_POSTHOC_LA = ConfigSpec(
    'wb-stage1-posthoc-la',
    f'configs/weight_balancing/wb-stage1-posthoc-la_resnet20_{_FM}.py',
    after=WB_STAGE1.name, test_only='{stage1_checkpoint}')
# the rows after a stage-1 row beyond COMBINATIONS: the record-holding
# methods implemented from their papers (a second stage each) and the
# post-hoc adjustment of weight balancing's stage 1
STAGE2_ROWS = (MISLAS, WEIGHT_BALANCING, WB_POSTHOC_LA)


def weight_decay_rows() -> List[ConfigSpec]:
    """The stage-1 candidates beyond cross-entropy and the config itself:
    the stage-1 config with another weight decay."""
    return [ConfigSpec(name, WB_STAGE1_CONFIG,
                       cfg=[f'optim_wrapper.optimizer.weight_decay={wd}'])
            for name, wd in WEIGHT_DECAYS
            if name not in ('ce', WB_STAGE1.name)]


def combination_rows() -> List[ConfigSpec]:
    """Cross-entropy, the oracle and the oracles with a recipe, the
    single methods, the combinations, then MiSLAS and weight balancing
    after their stage 1 (weight balancing's with the weight decays the
    validation split chose among, and tested with post-hoc logit
    adjustment)."""
    ce, oracle = ORACLES['converged']
    rows = [ConfigSpec(ce.name, ce.path), ConfigSpec(oracle.name,
                                                     oracle.path)]
    rows += [ConfigSpec(name, f'configs/combinations/{name}_resnet20_'
                        f'{ORACLE_STEM}.py')
             for _, name, _ in RECIPE_ORACLES]
    rows += [ConfigSpec(m, f'configs/losses/{m}_resnet20_{_FM}.py')
             for m in METHODS]
    rows += [ConfigSpec(name, f'configs/combinations/{name}_resnet20_'
                        f'{_FM}.py', after=after)
             for name, after in COMBINATIONS]
    rows += [MISLAS_STAGE1, MISLAS, WB_STAGE1, *weight_decay_rows(),
             WEIGHT_BALANCING, WB_POSTHOC_LA]
    return rows
