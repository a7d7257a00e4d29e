"""tools/dataset/make_group_lift_data.py: writes a case, says when the folder
is already up to date, and stops with a message naming the bad value."""
import importlib.util
import os.path as osp

import pytest

from test_datasets.group_lift_helpers import write_fake_fashion_mnist

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'make_group_lift_data',
    osp.join(ROOT, 'tools', 'dataset', 'make_group_lift_data.py'))
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)


@pytest.fixture(scope='module')
def fake_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('fashion_mnist')
    write_fake_fashion_mnist(root)
    return str(root)


def test_writes_then_reports_up_to_date(fake_root, tmp_path, capsys):
    argv = ['--case', 'rare', '--out-dir', str(tmp_path / 'out'),
            '--data-root', fake_root, '--max-images', '4',
            '--group1-fraction', '0.5']
    assert tool.main(argv) == 0
    out = capsys.readouterr().out
    assert 'written' in out and 'train: group0' in out
    assert (tmp_path / 'out' / 'train.csv').read_text().count('\n') == 5
    assert tool.main(argv) == 0
    assert 'already up to date' in capsys.readouterr().out


@pytest.mark.parametrize('extra, message', [
    (['--group1-fraction', '1.5'], 'fraction 1.5 must be a number in'),
    (['--data-root', 'no/such/dir'], 'no/such/dir'),
])
def test_bad_input_is_an_error_naming_it(tmp_path, capsys, extra, message):
    argv = ['--case', 'degraded', '--out-dir', str(tmp_path)] + extra
    assert tool.main(argv) == 1
    assert message in capsys.readouterr().err


def test_unknown_case_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        tool.main(['--case', 'blurred', '--out-dir', str(tmp_path)])
    assert "invalid choice: 'blurred'" in capsys.readouterr().err
