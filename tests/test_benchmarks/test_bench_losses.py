"""benchmarks/bench_losses.py runs every loss and writes its section."""
import pytest

from benchmarks import bench_losses

pytestmark = pytest.mark.usefixtures('one_thread')


def _rows(section, title):
    part = section.split(title)[1].split('###')[0]
    return [line for line in part.splitlines() if line.startswith('| ')]


def test_every_loss_timed_in_a_training_step_and_section_written(tmp_path):
    out = tmp_path / 'benchmarks.md'
    out.write_text('# page\n\nkept text\n')
    assert bench_losses.main([
        '--batch', '8', '--classes', '20', '--rounds', '1', '--iters', '1',
        '--threads', '1', '--train-step', '--train-batch', '2',
        '--train-threads', '1', '--train-pairs', '1', '--train-warmup', '0',
        '--loss-reps', '1', '--out', str(out)
    ]) == 0
    text = out.read_text()
    assert 'kept text' in text
    section = text.split('<!-- bench:loss-speed:start -->')[1].split(
        '<!-- bench:loss-speed:end -->')[0]
    names = [name for name, _ in bench_losses.loss_configs()]
    peers = ['FocalLoss (MMPretrain sigmoid, peer)',
             'sigmoid_focal_loss (torchvision, peer)']
    # header, one row per loss (and the peers in the relative table)
    share = _rows(section, '### Share of a training iteration')
    relative = _rows(section, '### Relative to cross-entropy')
    assert len(share) == 1 + len(names)
    assert len(relative) == 1 + len(names) + len(peers)
    for name in names:
        assert any(row.startswith(f'| {name} |') for row in share), name
    for name in names + peers:
        assert any(row.startswith(f'| {name} |') for row in relative), name
    assert 'Result: ' in section
    assert section.rstrip().endswith('`')  # ends with the command
    assert 'Command: `python -m benchmarks.bench_losses --batch 8' in section


def test_only_keeps_the_baseline_and_refuses_no_match(capsys):
    assert bench_losses.main([
        '--batch', '8', '--classes', '20', '--rounds', '1', '--iters', '1',
        '--only', 'LDAM'
    ]) == 0
    printed = capsys.readouterr().out
    assert 'CrossEntropyLoss (MMPretrain, baseline)' in printed
    assert 'LDAMLoss (cosine logits)' in printed
    assert 'SoftmaxEQLLoss' not in printed
    with pytest.raises(SystemExit):
        bench_losses.main(['--only', 'NoSuchLoss'])


def test_every_registered_loss_has_a_row():
    """The rows come from mmlt's registry, not a list: each loss mmlt
    registers is timed, in the order the lt-losses configs name them."""
    from mmlt.registry import MODELS
    registered = {name for name, cls in MODELS.module_dict.items()
                  if cls.__module__.startswith('mmlt.models.losses.')}
    rows = bench_losses.loss_configs()
    assert rows[0][0] == bench_losses.BASELINE
    assert {cfg['type'] for _, cfg in rows[1:]} == registered
    assert len({name for name, _ in rows}) == len(rows)
    order = list(dict.fromkeys(cfg['type'] for _, cfg in rows[1:]))
    assert order[:3] == ['SoftmaxFocalLoss', 'ClassBalancedLoss',
                         'CostSensitiveCELoss']
