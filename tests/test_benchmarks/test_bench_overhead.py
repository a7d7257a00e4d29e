import pytest

from benchmarks import bench_overhead


def test_variants_differ_only_in_mmlt_pieces():
    plain, mmlt = bench_overhead.variant_configs(
        bench_overhead.DEFAULT_CONFIG, 'BalancedSoftmaxLoss')
    assert plain.model.head.type == 'LinearClsHead'
    assert plain.model.head.loss.type == 'CrossEntropyLoss'
    assert mmlt.model.head.type == 'LTLinearClsHead'
    assert mmlt.model.head.loss.type == 'BalancedSoftmaxLoss'
    assert plain.train_dataloader.sampler.type == 'DefaultSampler'
    assert mmlt.train_dataloader.sampler.type == 'RebalancedSampler'
    assert plain.val_evaluator.type == 'Accuracy'
    assert mmlt.val_evaluator.type == 'LongTailMetric'
    for key in bench_overhead.MMLT_HOOKS:
        assert plain.default_hooks[key] is None
        assert mmlt.default_hooks[key] is not None
    # everything else is shared: backbone, data, optimizer, schedule
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg'):
        assert plain[key] == mmlt[key]
    assert plain.model.backbone == mmlt.model.backbone
    assert plain.train_dataloader.dataset == mmlt.train_dataloader.dataset
    assert plain.train_dataloader.num_workers == 0


@pytest.mark.parametrize('argv, match', [
    (['--iters', '0'], '--iters must be >= 1'),
    (['--config', 'nope.py'], 'config nope.py not found'),
])
def test_parse_args_refuses_bad_input(argv, match, capsys):
    with pytest.raises(SystemExit):
        bench_overhead.parse_args(argv)
    assert match in capsys.readouterr().err
