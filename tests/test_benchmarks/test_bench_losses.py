"""benchmarks/bench_losses.py runs every loss and writes its section."""
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from benchmarks import bench_losses  # noqa: E402

pytestmark = pytest.mark.usefixtures('one_thread')


def test_every_loss_timed_and_section_written(tmp_path, capsys):
    out = tmp_path / 'benchmarks.md'
    out.write_text('# page\n\nkept text\n')
    assert bench_losses.main([
        '--batch', '8', '--classes', '20', '--rounds', '1', '--iters', '1',
        '--threads', '1', '--out', str(out)
    ]) == 0
    text = out.read_text()
    assert 'kept text' in text
    section = text.split('<!-- bench:loss-speed:start -->')[1].split(
        '<!-- bench:loss-speed:end -->')[0]
    rows = [line for line in section.splitlines() if line.startswith('| ')]
    import torch
    names = [name for name, _ in bench_losses.loss_configs()]
    references = list(
        bench_losses.reference_steps(
            torch.zeros(8, 20), torch.zeros(8, 768, requires_grad=True),
            bench_losses.long_tail_counts(20, 500, 100)))
    # header, one row per loss, the reference rows
    assert len(rows) == 1 + len(names) + len(references)
    for name in names + references:
        assert any(row.startswith(f'| {name} |') for row in rows), name
    assert 'Command: `python benchmarks/bench_losses.py --batch 8' in section


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
