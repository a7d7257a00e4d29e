"""Runs kept in the repository (benchmarks/lt_archive.py) and how --reuse,
the stage-1 chain and the evidence renderers read them."""
import json
import os
import os.path as osp
import shutil

import pytest

from benchmarks import (lt_archive, lt_benchmark, lt_logs, lt_results,
                        lt_rows, lt_runs)


def _finished_run(run_dir, name='ce', seed=0, top1=80.0, config='c.py',
                  epochs=60):
    """A run folder as run_one leaves it, checkpoint included."""
    stamp = osp.join(run_dir, '20260101_000000', 'vis_data')
    os.makedirs(stamp)
    with open(osp.join(run_dir, lt_logs.RESULT_FILE), 'w') as f:
        json.dump(dict(name=name, seed=seed,
                       metrics={'long_tail/top1': top1,
                                'long_tail/balanced_accuracy': top1},
                       sec_per_epoch=7.0, peak_rss_mb=900.0, wall_s=500.0,
                       extra={}, epochs=epochs, config=config), f)
    for name_, text in (('per_class.csv', 'class_name,f1\na,0.5\n'),
                        ('c.py', 'x = 1\n'), (f'epoch_{epochs}.pth', 'w'),
                        ('test.log', 'log')):
        with open(osp.join(run_dir, name_), 'w') as f:
            f.write(text)
    with open(osp.join(stamp, 'scalars.json'), 'w') as f:
        f.write('{"loss": 1.0, "step": 1}\n')


def test_archive_keeps_what_the_renderers_read_and_no_checkpoint(tmp_path):
    run, record = str(tmp_path / 'run'), str(tmp_path / 'rec' / 'seed0')
    _finished_run(run)
    assert lt_archive.kept_files(run) == [
        'result.json', 'per_class.csv', 'c.py',
        '20260101_000000/vis_data/scalars.json']
    lt_archive.archive_run(run, record)
    kept = sorted(osp.relpath(osp.join(d, f), record)
                  for d, _, files in os.walk(record) for f in files)
    # the dumped config is kept as data, not as a .py of the repository
    assert kept == sorted(['result.json', 'per_class.csv', 'c.py.txt',
                           '20260101_000000/vis_data/scalars.json'])
    assert lt_archive.dumped_config(record).x == 1
    assert lt_archive.dumped_config(run).x == 1
    # a record reads like its run folder
    assert lt_logs.find_scalars(record).startswith(record)
    assert lt_archive.finished_dir(str(tmp_path / 'none'), record) == record
    assert lt_archive.finished_dir(run, record) == run
    assert lt_archive.finished_dir(str(tmp_path / 'none'), None) is None


def test_record_names_no_folder_of_the_machine(tmp_path):
    work = tmp_path / 'work'
    run = work / 'converged' / 'crt' / 'seed0'
    _finished_run(str(run))
    (run / 'c.py').write_text(
        f"work_dir = '{run}'\n"
        f"load_from = '{work}/converged/ce/seed0/epoch_60.pth'\n"
        "data_root = 'data/fashion_mnist'\n")
    record = str(tmp_path / 'rec' / 'crt' / 'seed0')
    lt_archive.archive_run(str(run), record)
    cfg = lt_archive.dumped_config(record)
    assert cfg.work_dir == '{work_dir}/converged/crt/seed0'
    assert cfg.load_from == '{work_dir}/converged/ce/seed0/epoch_60.pth'
    assert cfg.data_root == 'data/fashion_mnist'
    assert str(tmp_path) not in open(osp.join(record, 'c.py.txt')).read()
    # the run folder itself is left as the runner wrote it
    assert lt_archive.dumped_config(str(run)).work_dir == str(run)


def test_dumped_config_must_be_one(tmp_path):
    with pytest.raises(FileNotFoundError, match='expected the one config'):
        lt_archive.dumped_config(str(tmp_path))
    (tmp_path / 'a.py').write_text('x = 1')
    (tmp_path / 'b.py.txt').write_text('x = 2')
    with pytest.raises(FileNotFoundError, match="a.py', .*b.py.txt"):
        lt_archive.dumped_config(str(tmp_path))


def test_an_unfinished_run_is_not_kept(tmp_path):
    os.makedirs(tmp_path / 'run')
    with pytest.raises(FileNotFoundError, match='did not finish'):
        lt_archive.archive_run(str(tmp_path / 'run'), str(tmp_path / 'rec'))
    assert not osp.exists(tmp_path / 'rec')


def _args(tmp_path, *extra):
    return lt_benchmark.parse_args([
        '--configs', 'ce=c.py', 'crt=d.py', '--after', 'crt=ce',
        '--protocol', 'converged', '--work-dir', str(tmp_path / 'work'),
        '--records-dir', str(tmp_path / 'records'), '--seeds', '0',
        '--reuse'] + list(extra))


def _two_stage(tmp_path, monkeypatch):
    """``args`` of the rows ce and crt (crt after ce) with 60 epochs each,
    the two specs and the section's rows by name."""
    monkeypatch.setattr(lt_runs, 'config_epochs', lambda path: 60)
    args = _args(tmp_path)
    ce, crt = args.configs
    return args, ce, crt, {c.name: c for c in args.configs}


def test_records_only_for_a_protocol_with_shared_rows(tmp_path):
    args = _args(tmp_path)
    assert lt_runs.record_dir_of(args, 'ce', 1) == str(
        tmp_path / 'records' / 'converged' / 'ce' / 'seed1')
    smoke = lt_benchmark.parse_args([
        '--configs', 'ce=c.py', '--protocol', 'smoke', '--records-dir',
        str(tmp_path)])
    assert lt_runs.record_dir_of(smoke, 'ce', 0) is None


def test_reuse_finds_a_record_and_records_a_work_dir_run(tmp_path,
                                                          monkeypatch):
    monkeypatch.setattr(lt_runs, 'config_epochs', lambda path: 60)
    args = _args(tmp_path)
    ce, _ = args.configs
    assert lt_runs.find_kept(ce, 0, args) is None
    # a run of an earlier invocation in the work dir: read and recorded
    _finished_run(lt_runs.run_dir_of(args, 'ce', 0), top1=81.0)
    assert lt_runs.find_kept(ce, 0, args).metrics['long_tail/top1'] == 81.0
    record = lt_runs.record_dir_of(args, 'ce', 0)
    assert osp.isfile(osp.join(record, 'result.json'))
    # another machine: the work dir is gone, the record is read
    shutil.rmtree(tmp_path / 'work')
    kept = lt_runs.kept_runs(ce, [0, 1], args)
    assert [r.seed for r in kept] == [0]
    # another config under the same row name is not this row's run
    other = lt_rows.ConfigSpec(name='ce', path='other.py')
    assert lt_runs.find_kept(other, 0, args) is None


def test_a_stage1_kept_only_as_a_record_is_trained_again(tmp_path,
                                                          monkeypatch):
    args, ce, crt, specs = _two_stage(tmp_path, monkeypatch)
    with pytest.raises(FileNotFoundError, match="row 'ce' seed 0 has no "
                       'final checkpoint.*and no record'):
        lt_runs.checkpoint_of(ce, 0, args, specs)
    record = lt_runs.record_dir_of(args, 'ce', 0)
    _finished_run(str(tmp_path / 'elsewhere'))
    lt_archive.archive_run(str(tmp_path / 'elsewhere'), record)
    retrained = []

    def fake_run_one(spec, seed, args_, specs_):
        retrained.append((spec.name, seed, args_.reuse))
        _finished_run(lt_runs.run_dir_of(args_, spec.name, seed))

    monkeypatch.setattr(lt_runs, 'run_one', fake_run_one)
    ckpt = lt_runs.checkpoint_of(ce, 0, args, specs)
    # trained without --reuse (which would find the record again)
    assert retrained == [('ce', 0, False)]
    assert ckpt == osp.join(lt_runs.run_dir_of(args, 'ce', 0), 'epoch_60.pth')
    assert args.reuse is True
    # the checkpoint is there now: not trained a second time
    lt_runs.checkpoint_of(ce, 0, args, specs)
    assert len(retrained) == 1


def test_an_interrupted_stage1_run_is_not_started_from(tmp_path,
                                                        monkeypatch):
    args, ce, crt, specs = _two_stage(tmp_path, monkeypatch)
    _finished_run(str(tmp_path / 'elsewhere'))
    lt_archive.archive_run(str(tmp_path / 'elsewhere'),
                           lt_runs.record_dir_of(args, 'ce', 0))
    # a run of ce stopped at epoch 6: its last_checkpoint names epoch 6
    run_dir = lt_runs.run_dir_of(args, 'ce', 0)
    os.makedirs(run_dir)
    with open(osp.join(run_dir, 'epoch_6.pth'), 'w') as f:
        f.write('w')
    with open(osp.join(run_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(run_dir, 'epoch_6.pth'))
    retrained = []

    def fake_run_one(spec, seed, args_, specs_):
        retrained.append(spec.name)
        shutil.rmtree(run_dir)
        _finished_run(run_dir)

    monkeypatch.setattr(lt_runs, 'run_one', fake_run_one)
    assert lt_runs.checkpoint_of(ce, 0, args, specs) == osp.join(
        run_dir, 'epoch_60.pth')
    assert retrained == ['ce']


def _restamp(run_dir, stamp):
    old = os.listdir(run_dir)
    (old_stamp, ) = [n for n in old if n.startswith('2026')]
    os.rename(osp.join(run_dir, old_stamp), osp.join(run_dir, stamp))


def test_a_run_from_a_replaced_stage1_run_is_out_of_date(tmp_path,
                                                          monkeypatch,
                                                          capsys):
    args, ce, crt, specs = _two_stage(tmp_path, monkeypatch)
    ce_dir = lt_runs.run_dir_of(args, 'ce', 0)
    _finished_run(ce_dir)
    assert lt_runs.starts_from(crt, 0, args, specs) == {
        'ce': '20260101_000000'}
    # ce itself reads no earlier row
    assert lt_runs.starts_from(ce, 0, args, specs) == {}
    crt_dir = lt_runs.run_dir_of(args, 'crt', 0)
    _finished_run(crt_dir, name='crt', config='d.py')
    with open(osp.join(crt_dir, 'result.json')) as f:
        data = json.load(f)
    data['extra']['starts_from'] = {'ce': '20260101_000000'}
    with open(osp.join(crt_dir, 'result.json'), 'w') as f:
        json.dump(data, f)
    assert lt_runs.find_kept(crt, 0, args, specs) is not None
    # ce trained again (e.g. on another machine, for its checkpoint)
    _restamp(ce_dir, '20260202_000000')
    assert lt_runs.find_kept(crt, 0, args, specs) is None
    assert lt_runs.kept_runs(crt, [0], args, specs) == []
    said = capsys.readouterr().out
    assert ("crt seed 0: its kept run started from ce's run 20260101_000000 "
            '(its kept run is now 20260202_000000)') in said
    # without the section's rows there is nothing to compare with
    assert lt_runs.find_kept(crt, 0, args) is not None
    # a result from before starts_from was kept is taken as it is
    del data['extra']['starts_from']
    with open(osp.join(crt_dir, 'result.json'), 'w') as f:
        json.dump(data, f)
    assert lt_runs.find_kept(crt, 0, args, specs) is not None
    # a stage 1 without a kept training run (test-only) names no stamp
    shutil.rmtree(osp.join(ce_dir, '20260202_000000'))
    assert lt_runs.starts_from(crt, 0, args, specs) == {}


def test_run_one_keeps_the_runs_it_started_from(tmp_path, monkeypatch):
    args, ce, crt, specs = _two_stage(tmp_path, monkeypatch)
    _finished_run(lt_runs.run_dir_of(args, 'ce', 0))

    def fake_measured(cmd, log_path):
        """tools/train.py leaves its log and checkpoint, tools/test.py its
        metrics"""
        run_dir = osp.dirname(log_path)
        if 'train.py' in ' '.join(cmd):
            os.makedirs(osp.join(run_dir, '20260303_000000', 'vis_data'))
            with open(osp.join(run_dir, '20260303_000000', 'vis_data',
                               'scalars.json'), 'w') as f:
                f.write('{"loss": 1.0, "step": 1}\n')
            with open(osp.join(run_dir, 'epoch_60.pth'), 'w') as f:
                f.write('w')
        else:
            with open(osp.join(run_dir, 'test_metrics.json'), 'w') as f:
                json.dump({'long_tail/top1': 82.0}, f)
        return 0, 1.0, 100.0

    monkeypatch.setattr(lt_runs, 'run_measured', fake_measured)
    monkeypatch.setattr(lt_runs, 'pick_metrics', lambda m: m)
    monkeypatch.setattr(lt_runs, 'seconds_per_epoch', lambda s: 1.0)
    result = lt_runs.run_one(crt, 0, args, specs)
    assert result.extra['starts_from'] == {'ce': '20260101_000000'}
    with open(osp.join(lt_runs.record_dir_of(args, 'crt', 0),
                       'result.json')) as f:
        assert json.load(f)['extra']['starts_from'] == {
            'ce': '20260101_000000'}


def test_evidence_reads_records_where_the_work_dir_lacks_the_run(tmp_path):
    _finished_run(str(tmp_path / 'rec' / 'ce' / 'seed0'), top1=80.0)
    _finished_run(str(tmp_path / 'rec' / 'ce' / 'seed1'), seed=1, top1=70.0)
    _finished_run(str(tmp_path / 'work' / 'ce' / 'seed1'), seed=1, top1=75.0)
    results = lt_results.read_results(str(tmp_path / 'work'),
                                       str(tmp_path / 'rec'))
    acc = {s: r['metrics']['long_tail/top1'] for s, r in results['ce'].items()}
    assert acc == {0: 80.0, 1: 75.0}
    assert results['ce'][0]['run_dir'] == str(tmp_path / 'rec' / 'ce' /
                                              'seed0')


def test_provenance_does_not_name_changed_records_or_docs(tmp_path, monkeypatch):
    import subprocess

    from benchmarks import common

    def git(*args):
        subprocess.run(['git', '-c', 'user.name=t', '-c', 'user.email=t@t',
                        *args], cwd=tmp_path, check=True,
                       capture_output=True)

    rec = tmp_path / 'benchmarks' / 'results' / 'converged' / 'ce'
    rec.mkdir(parents=True)
    (rec / 'result.json').write_text('{}')
    (tmp_path / 'code.py').write_text('x = 1\n')
    git('init', '-q')
    git('add', '-A')
    git('commit', '-qm', 'init')
    monkeypatch.setattr(common, 'ROOT', str(tmp_path))
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs' / 'benchmarks.md').write_text('old')
    git('add', '-A')
    git('commit', '-qm', 'docs')
    (rec / 'result.json').write_text('{"a": 1}')
    (tmp_path / 'docs' / 'benchmarks.md').write_text('new')
    assert common.git_provenance().startswith('commit ')
    assert 'uncommitted' not in common.git_provenance()
    (tmp_path / 'code.py').write_text('x = 2\n')
    assert common.git_provenance().endswith('uncommitted changes in '
                                            '`code.py`')
