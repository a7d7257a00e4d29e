"""Pure functions of benchmarks/lt_benchmark.py and its modules (no
training)."""
import json
import math
import os.path as osp

import pytest

from benchmarks import (common, lt_benchmark, lt_logs, lt_protocol,
                        lt_recipes, lt_render, lt_rows, lt_runs, page)


def _result(name, seed, top1, few=math.nan, spe=10.0, rss=1000.0):
    metrics = {key: 50.0 for key, _ in lt_logs.METRIC_COLUMNS}
    metrics.update({
        'long_tail/top1': top1,
        'long_tail/few_shot': few,
        'long_tail/num_many': 8,
        'long_tail/num_medium': 2,
        'long_tail/num_few': 0
    })
    return lt_logs.RunResult(
        name=name,
        seed=seed,
        metrics=metrics,
        sec_per_epoch=spe,
        peak_rss_mb=rss,
        wall_s=120.0)


def test_parse_config_spec():
    spec = lt_rows.parse_config_spec('ce=configs/a_b.py')
    assert (spec.name, spec.path) == ('ce', 'configs/a_b.py')
    spec = lt_rows.parse_config_spec('configs/baselines/x_ce_y.py')
    assert (spec.name, spec.path) == ('x_ce_y', 'configs/baselines/x_ce_y.py')
    with pytest.raises(ValueError, match='empty name'):
        lt_rows.parse_config_spec('=configs/a.py')
    with pytest.raises(ValueError, match='no path'):
        lt_rows.parse_config_spec('ce=')


@pytest.mark.parametrize('section', lt_protocol.planned_sections())
def test_planned_sections_name_existing_configs_in_order(section):
    title, rows = lt_protocol.section_plan(section)
    assert title
    names = [r.name for r in rows]
    assert len(set(names)) == len(names)
    for i, row in enumerate(rows):
        assert osp.isfile(osp.join(common.ROOT, row.path)), row.path
        if row.after:
            assert row.after in names[:i], (row.name, row.after)
        for template in [row.prepare, row.test_only] + row.cfg:
            if template:
                # every placeholder is one the harness fills for this row
                # {checkpoint[ROW]}: rows listed before this one only
                ctx = dict(python='py', run_dir='/r', seed='0',
                           checkpoint={n: 'k' for n in names[:i]})
                if row.after:
                    ctx.update(stage1_config='c', stage1_checkpoint='k',
                               stage1_dir='d')
                lt_rows.fill_placeholders(template, ctx, row.name)
    if section == 'recipes':
        # the reference project's order (no baseline row: V1 is the
        # start), then the ablations
        assert names == [name for name, _ in lt_recipes.RECIPES] + \
            [name for name, _, _ in lt_recipes.ABLATIONS]
        return
    if section == 'finetune-recipes':
        assert names == ['v1', 'v2', 'v3', 'v4']
        return
    finetune = page.section(section).protocol == 'finetune'
    if section in lt_protocol.SECTION_COLUMNS:
        # the group-lift sections: their own data and baseline, row names
        # that carry the case (no run dir shared with another section)
        case = section.rsplit('-', 1)[1]
        assert rows[0].path.endswith(
            '/ce_efficientnet-lite0_1xb64_fashion-mnist-group-lift-80x60.py'
            if finetune else '/ce_resnet20_1xb128_fashion-mnist-group-'
            'lift.py')
        assert all(n.endswith(f'-{case}') for n in names)
        return
    # rows shared by sections are the same row (one run under converged)
    assert rows[0].name == 'ce' and rows[0].path.endswith(
        'efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py'
        if finetune else 'resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py')


def test_loss_rows_are_the_losses_metafile_models():
    """A loss's benchmark row is its config's metafile model: every
    protocol config of configs/losses is a row of lt-losses, in the
    metafile's order, after the two baselines; post-hoc logit adjustment
    tests cross-entropy's checkpoint."""
    import glob
    rows = lt_protocol.section_plan('lt-losses')[1]
    assert [r.name for r in rows[:2]] == ['ce', 'focal']
    on_disk = {osp.relpath(p, common.ROOT) for p in glob.glob(osp.join(
        common.ROOT, 'configs', 'losses',
        '*' + lt_protocol.PROTOCOL_STEM + '.py'))}
    assert {r.path for r in rows[2:]} == on_disk
    assert [r.path for r in rows[2:]] == [
        r.path for r in lt_protocol.metafile_rows()]
    posthoc = {r.name: r for r in rows}['ce-posthoc-la']
    assert (posthoc.after, posthoc.test_only) == ('ce', '{stage1_checkpoint}')
    assert all(r.after is None for r in rows if r.name != 'ce-posthoc-la')


def test_section_plan_rows_are_fresh_and_unknown_sections_refused():
    _, a = lt_protocol.section_plan('lt-losses')
    _, b = lt_protocol.section_plan('lt-losses')
    a[0].cfg.append('x=1')
    assert b[0].cfg == []
    with pytest.raises(KeyError, match='planned sections'):
        lt_protocol.section_plan('nope')


def test_mean_std_is_sample_std():
    mean, std, n = lt_logs.mean_std([1.0, 2.0, 3.0])
    assert (mean, n) == (2.0, 3) and std == pytest.approx(1.0)
    mean, std, n = lt_logs.mean_std([4.0, math.nan])
    assert (mean, n) == (4.0, 1) and math.isnan(std)
    mean, _, n = lt_logs.mean_std([math.nan])
    assert math.isnan(mean) and n == 0


def test_format_mean_std():
    assert lt_logs.format_mean_std([1.0, 2.0, 3.0]) == '2.00 ± 1.00'
    assert lt_logs.format_mean_std([80.0]) == '80.00'
    assert lt_logs.format_mean_std([math.nan, math.nan]) == 'n/a'
    assert lt_logs.format_mean_std([10.0, 12.0], digits=0) == '11 ± 1'


def test_seconds_per_epoch_from_scalars():
    records = [
        dict(lr=1e-3, time=0.5, epoch=1, iter=10, step=10, loss=1.0),
        dict(lr=1e-3, time=0.7, epoch=1, iter=20, step=20, loss=1.0),
        dict(lr=1e-3, time=0.6, epoch=2, iter=40, step=40, loss=1.0),
        {'long_tail/top1': 80.0, 'step': 2},
    ]
    # mean time 0.6 s x 20 iterations per epoch
    assert lt_logs.seconds_per_epoch(records) == pytest.approx(12.0)
    with pytest.raises(ValueError):
        lt_logs.seconds_per_epoch([{'long_tail/top1': 80.0, 'step': 2}])


def test_find_scalars_picks_training_log(tmp_path):
    for stamp, line in (('20260101_000000', {'lr': 1, 'loss': 1.0}),
                        ('20260101_000500', {'long_tail/top1': 5.0})):
        vis = tmp_path / stamp / 'vis_data'
        vis.mkdir(parents=True)
        (vis / 'scalars.json').write_text(json.dumps(line) + '\n')
    found = lt_logs.find_scalars(str(tmp_path))
    assert '20260101_000000' in found


def test_pick_metrics_fills_nan():
    picked = lt_logs.pick_metrics({
        'long_tail/top1': 81.5,
        'long_tail/few_shot': float('nan'),
        'long_tail/num_few': 0,
        'long_tail/per_class_f1': [1, 2]
    })
    assert picked['long_tail/top1'] == 81.5
    assert math.isnan(picked['long_tail/few_shot'])
    assert math.isnan(picked['long_tail/macro_f1'])
    assert picked['long_tail/num_few'] == 0.0
    assert 'long_tail/per_class_f1' not in picked


def test_render_table_one_row_per_config():
    results = [
        _result('ce', 0, 80.0),
        _result('focal', 0, 70.0),
        _result('ce', 1, 82.0),
    ]
    lines = lt_render.render_table(results).splitlines()
    assert len(lines) == 4
    assert lines[0].startswith('| config | seeds | top-1 | balanced |')
    ce, focal = lines[2], lines[3]
    assert ce.startswith('| ce | 2 | 81.00 ± 1.41 |')
    assert focal.startswith('| focal | 1 | 70.00 |')
    assert '| n/a |' in ce  # few-shot bin without classes


def test_render_section_has_context():
    info = dict(
        title='T',
        machine='CPU X, 2 cores',
        schedule='4 epochs',
        data='FashionMNIST',
        provenance='commit abc',
        command='python -m benchmarks.lt_benchmark --epochs 4')
    body = lt_render.render_section([_result('ce', 0, 80.0)], info)
    for text in ('## T', 'CPU X, 2 cores', '4 epochs', 'commit abc',
                 'python -m benchmarks.lt_benchmark --epochs 4',
                 '8 many-shot, 2 medium-shot, 0 few-shot'):
        assert text in body


def test_schedule_overrides():
    # one checkpoint kept, the last, whether the run ends or stops early
    keep_last = ['default_hooks.checkpoint.interval=1',
                 'default_hooks.checkpoint.max_keep_ckpts=1',
                 'default_hooks.checkpoint.save_best=None']
    assert lt_runs.schedule_overrides(4, 1) == [
        'randomness.seed=1', 'train_cfg.max_epochs=4',
        'train_cfg.val_interval=4'] + keep_last
    # the converged protocol keeps the config's schedule and validation
    assert lt_runs.schedule_overrides(60, 2, fixed_epochs=False) == [
        'randomness.seed=2'] + keep_last


def test_row_epochs_follow_the_protocol():
    ce = lt_protocol.section_plan('lt-heads-two-stage')[1][0]
    crt = [r for r in lt_protocol.section_plan('lt-heads-two-stage')[1]
           if r.name == 'crt'][0]
    converged = lt_benchmark.parse_args(['--section', 'lt-heads-two-stage'])
    assert lt_runs.row_epochs(ce, converged) == 60
    assert lt_runs.row_epochs(crt, converged) == 10
    longer = lt_benchmark.parse_args([
        '--configs', 'ce-100e=' + ce.path, '--row-cfg',
        'ce-100e=train_cfg.max_epochs=100'])
    assert lt_runs.row_epochs(longer.configs[0], longer) == 100
    smoke = lt_benchmark.parse_args(['--protocol', 'smoke', '--configs',
                                     'ce=' + ce.path])
    assert lt_runs.row_epochs(crt, smoke) == 4
    # shared rows: one run dir per protocol, not per section
    a = lt_runs.run_dir_of(converged, 'ce', 0)
    b = lt_runs.run_dir_of(
        lt_benchmark.parse_args(['--section', 'lt-losses']), 'ce', 0)
    assert a == b and '/converged/ce/seed0' in a
    assert '/losses/ce/seed0' in lt_runs.run_dir_of(
        lt_benchmark.parse_args(['--protocol', 'smoke', '--section',
                                 'losses', '--configs', 'ce=x.py']), 'ce', 0)


def test_parse_args_validates(capsys):
    args = lt_benchmark.parse_args([])
    assert args.protocol == 'converged' and args.section == 'lt-losses'
    assert args.seeds == [0, 1, 2] and args.configs[0].name == 'ce'
    assert args.epochs is None and not args.fixed_epochs
    with pytest.raises(SystemExit):
        lt_benchmark.parse_args(['--epochs', '4'])
    assert 'use --protocol smoke' in capsys.readouterr().err
    assert lt_benchmark.parse_args(['--protocol', 'smoke']).epochs == 4
    with pytest.raises(SystemExit):
        lt_benchmark.parse_args(['--protocol', 'smoke', '--epochs', '1'])
    with pytest.raises(SystemExit):
        lt_benchmark.parse_args(['--section', 'unplanned'])
    assert 'planned sections' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        lt_benchmark.parse_args(['--after', 'crt=ce'])
    with pytest.raises(SystemExit):
        lt_benchmark.parse_args(['--configs', 'a=x.py', 'a=y.py'])
    with pytest.raises(SystemExit):
        lt_benchmark.parse_args(['--section', 'a b'])


def test_load_result_round_trip(tmp_path):
    spec = lt_rows.ConfigSpec(name='ce', path='configs/a.py')
    result = _result('old-name', 1, 80.0)
    path = tmp_path / 'result.json'
    path.write_text(
        json.dumps(dict(vars(result), epochs=4, config='configs/a.py')))
    loaded = lt_runs.load_result(str(path), spec, 4)
    assert loaded.name == 'ce' and loaded.seed == 1
    assert loaded.metrics['long_tail/top1'] == 80.0
    assert lt_runs.load_result(str(path), spec, 5) is None
    other = lt_rows.ConfigSpec(name='ce', path='configs/b.py')
    assert lt_runs.load_result(str(path), other, 4) is None
    assert lt_runs.load_result(str(tmp_path / 'none.json'), spec, 4) is None


def test_load_result_keeps_a_run_only_with_the_same_row_cfg(tmp_path):
    wd = ['optim_wrapper.optimizer.weight_decay=0.001']
    spec = lt_rows.ConfigSpec(name='wd', path='configs/a.py', cfg=wd)
    path = tmp_path / 'result.json'
    saved = dict(vars(_result('wd', 0, 80.0)), epochs=60,
                 config='configs/a.py')
    # a run kept before the cfg items were saved: taken on its config
    path.write_text(json.dumps(saved))
    assert lt_runs.load_result(str(path), spec, 60) is not None
    path.write_text(json.dumps(dict(saved, cfg=wd)))
    assert lt_runs.load_result(str(path), spec, 60) is not None
    other = lt_rows.ConfigSpec(
        name='wd', path='configs/a.py',
        cfg=['optim_wrapper.optimizer.weight_decay=0.002'])
    assert lt_runs.load_result(str(path), other, 60) is None
    plain = lt_rows.ConfigSpec(name='wd', path='configs/a.py')
    assert lt_runs.load_result(str(path), plain, 60) is None


def _args(*extra):
    return lt_benchmark.parse_args([
        '--configs', 'ce=configs/a.py', 'crt=configs/b.py',
        'tau=configs/a.py', '--seeds', '0'
    ] + list(extra))


def test_two_stage_row_options_attach_to_rows():
    args = _args('--after', 'crt=ce', '--after', 'tau=ce', '--prepare',
                 'tau={python} tools/x.py {stage1_checkpoint} {run_dir}/t.pth',
                 '--row-cfg', 'crt=model.head.x={run_dir}/y', '--row-cfg',
                 'crt=a.b=1', '--test-only', 'tau={run_dir}/t.pth')
    ce, crt, tau = args.configs
    assert ce.after is None and ce.cfg == [] and ce.test_only is None
    assert crt.after == 'ce' and crt.cfg == ['model.head.x={run_dir}/y',
                                             'a.b=1']
    assert tau.test_only == '{run_dir}/t.pth'
    line = lt_render.command_line(args)
    # the command in the docs reproduces the chaining
    words = __import__('shlex').split(line)
    assert words[:3] == ['python', '-m', 'benchmarks.lt_benchmark']
    again = lt_benchmark.parse_args(words[3:])
    assert [vars(c) for c in again.configs] == [vars(c) for c in args.configs]
    assert "starts from ce's final checkpoint" in lt_render.describe_row(crt)


def test_command_line_keeps_the_title():
    args = _args('--title', 'Two stages: a control')
    words = __import__('shlex').split(lt_render.command_line(args))
    assert lt_benchmark.parse_args(words[3:]).title == 'Two stages: a control'
    assert '--title' not in lt_render.command_line(_args())


def test_command_line_keeps_reuse():
    words = __import__('shlex').split(lt_render.command_line(_args('--reuse')))
    assert words[-1] == '--reuse'
    assert lt_benchmark.parse_args(words[3:]).reuse
    assert '--reuse' not in lt_render.command_line(_args())


@pytest.mark.parametrize('extra, match', [
    (('--after', 'ce=crt'), 'must come before'),
    (('--after', 'nope=ce'), "no row named 'nope'"),
    (('--after', 'crt=nope'), "no row named 'nope'"),
    (('--after', 'crt'), 'expected ROW=VALUE'),
    (('--after', 'crt=ce', '--after', 'crt=ce'), 'given twice'),
    (('--row-cfg', 'crt=novalue'), 'ROW=KEY=VALUE'),
])
def test_two_stage_row_options_are_validated(extra, match, capsys):
    with pytest.raises(SystemExit):
        _args(*extra)
    assert match in capsys.readouterr().err


def test_fill_placeholders():
    ctx = dict(python='py', run_dir='/r', seed='1')
    assert lt_rows.fill_placeholders('{python} x {run_dir}/{seed}', ctx,
                                   '--prepare') == 'py x /r/1'
    with pytest.raises(ValueError, match='stage1_checkpoint'):
        lt_rows.fill_placeholders('{stage1_checkpoint}', ctx, '--prepare')


# ------------------------------------------------------------- group lift
@pytest.mark.parametrize('case', ['rare', 'degraded'])
def test_group_lift_rows_read_their_case_data_for_train_and_test(case):
    title, rows = lt_protocol.section_plan(f'group-lift-{case}')
    assert case in title
    root = f'data/group_lift_{case}'
    assert [r.name for r in rows] == [
        f'{n}-{case}' for n in ('ce', 'g1-weight2', 'plan-a', 'plan-b',
                                'plan-c', 'focal', 'g1-aug', 'multitask',
                                'routed')]
    for row in rows:
        assert f'--case {case} --out-dir {root} ' in row.prepare
        assert f'test_dataloader.dataset.data_root={root}' in row.cfg
    trained, routed = rows[:-1], rows[-1]
    for row in trained:
        assert not row.test_only and row.path.startswith(
            'configs/group_lift/')
        assert f'train_dataloader.dataset.data_root={root}' in row.cfg
    # the ensemble: group 1 to plan C's model, the rest to the baseline's
    assert routed.test_only == 'none'
    ctx = dict(python='py', run_dir='/r', seed='0',
               checkpoint={f'plan-c-{case}': '/c.pth', f'ce-{case}': '/b.pth'})
    filled = [lt_rows.fill_placeholders(c, ctx, 'r') for c in routed.cfg]
    assert 'model.members.0.checkpoint=/c.pth' in filled
    assert 'model.members.1.checkpoint=/b.pth' in filled
    from mmengine.config import Config
    model = Config.fromfile(osp.join(common.ROOT, routed.path)).model
    assert model.members[0].config.endswith(osp.basename(rows[4].path))
    assert model.members[1].config.endswith(osp.basename(rows[0].path))
    assert model.routes == {1: 'plan_c'} and model.fallback == 'baseline'
    assert lt_runs.config_epochs(routed.path) == 0


@pytest.mark.parametrize('case', ['rare', 'degraded'])
def test_finetune_group_lift_rows_are_the_plans_on_the_converged_data(case):
    """The fine-tuning sections run cross-entropy, the loss weight and
    plans A, B, C from configs/finetune/, each with the converged row's
    name, data, prepare command and data_root options."""
    title, rows = lt_protocol.section_plan(f'finetune-group-lift-{case}')
    assert case in title and 'fine-tuning protocol' in title
    converged = {r.name: r for r in
                 lt_protocol.section_plan(f'group-lift-{case}')[1]}
    assert [r.name for r in rows] == [
        f'{n}-{case}' for n in ('ce', 'g1-weight2', 'plan-a', 'plan-b',
                                'plan-c')]
    for row in rows:
        same = converged[row.name]
        assert (row.prepare, row.cfg, row.cfg_note) == \
            (same.prepare, same.cfg, same.cfg_note)
        assert not row.after and not row.test_only
        assert row.path == same.path.replace(
            'configs/group_lift/', 'configs/finetune/').replace(
                'resnet20_1xb128_fashion-mnist-group-lift',
                'efficientnet-lite0_1xb64_fashion-mnist-group-lift-80x60')
        assert osp.isfile(osp.join(common.ROOT, row.path)), row.path
    section = f'finetune-group-lift-{case}'
    assert lt_protocol.SECTION_COLUMNS[section] == lt_logs.GROUP_COLUMNS
    data = lt_protocol.SECTION_DATA[section]
    assert f'--case {case} ' in data and '80x60' in data
    assert 'three equal channels' in data
    # the rest of the data line is the converged section's
    assert data.split('; validated')[1] == \
        lt_protocol.SECTION_DATA[f'group-lift-{case}'].split('; validated')[1]
    # trained under the fine-tuning protocol, without naming it
    args = lt_benchmark.parse_args(['--section', section])
    assert args.protocol == 'finetune' and args.run_key == 'finetune'


def test_group_lift_rows_are_checked():
    with pytest.raises(ValueError, match=r"rows \['plan-d'\]"):
        lt_protocol._group_lift('rare', rows=['ce', 'plan-d'])


def test_group_lift_sections_have_group_columns():
    for case in ('rare', 'degraded'):
        section = f'group-lift-{case}'
        assert lt_protocol.SECTION_COLUMNS[section] == lt_logs.GROUP_COLUMNS
        assert case in lt_protocol.SECTION_DATA[section]
    assert 'lt-losses' not in lt_protocol.SECTION_COLUMNS
    picked = lt_logs.pick_metrics({'long_tail/group0_accuracy': 90.0,
                                   'long_tail/group1_accuracy': 60.5,
                                   'long_tail/group_head_accuracy': 99.0})
    assert picked['long_tail/group1_accuracy'] == 60.5
    assert 'long_tail/group_head_accuracy' not in picked
    result = _result('plan-c-rare', 0, 80.0, few=30.0)
    result.metrics.update({k: v for k, v in picked.items()
                           if k.startswith('long_tail/group')})
    lines = lt_render.render_table([result],
                                   lt_logs.GROUP_COLUMNS).splitlines()
    assert lines[0] == ('| config | seeds | group 1 | group 0 | balanced | '
                        'few | s/epoch | peak RSS (MiB) | run (min) |')
    assert lines[2].startswith('| plan-c-rare | 1 | 60.50 | 90.00 | 50.00 '
                               '| 30.00 |')
    # the long-tail sections keep their table
    assert lt_render.render_table([result]).splitlines()[0].startswith(
        '| config | seeds | top-1 | balanced | many |')


def test_earlier_checkpoint_placeholder(tmp_path):
    args = lt_benchmark.parse_args([
        '--protocol', 'smoke', '--epochs', '2', '--work-dir', str(tmp_path),
        '--section', 'gl', '--configs', 'a=configs/a.py', 'b=configs/b.py'])
    a, b = args.configs
    run_a = lt_runs.run_dir_of(args, 'a', 3)
    earlier = lt_runs.EarlierCheckpoints([a], args, 3)
    ctx = dict(python='py', run_dir='/r', seed='3', checkpoint=earlier)
    with pytest.raises(FileNotFoundError, match='no final checkpoint'):
        lt_rows.fill_placeholders('{checkpoint[a]}', ctx, '--row-cfg')
    (tmp_path / 'gl' / 'a' / 'seed3').mkdir(parents=True)
    open(osp.join(run_a, 'epoch_2.pth'), 'w').close()
    # a checkpoint of a run that did not finish (no result) is not final
    with pytest.raises(FileNotFoundError, match='no final checkpoint'):
        lt_rows.fill_placeholders('{checkpoint[a]}', ctx, '--row-cfg')
    open(osp.join(run_a, 'result.json'), 'w').close()
    assert lt_rows.fill_placeholders('x={checkpoint[a]}', ctx, 'r') == \
        f'x={run_a}/epoch_2.pth'
    # only rows before this one, and only with a row name
    with pytest.raises(ValueError, match="no row named 'b' before"):
        lt_rows.fill_placeholders('{checkpoint[b]}', ctx, 'r')
    with pytest.raises(ValueError, match='placeholder {checkpoint}'):
        lt_rows.fill_placeholders('{checkpoint}', ctx, 'r')


def test_planned_command_line_keeps_the_smoke_epochs():
    smoke = lt_benchmark.parse_args(['--protocol', 'smoke', '--epochs', '6',
                                     '--section', 'group-lift-rare',
                                     '--seeds', '0'])
    assert lt_render.command_line(smoke) == (
        'python -m benchmarks.lt_benchmark --protocol smoke --epochs 6 '
        '--section group-lift-rare --seeds 0 --reuse')
    converged = lt_benchmark.parse_args(['--section', 'group-lift-rare'])
    assert '--epochs' not in lt_render.command_line(converged)


# ------------------------------------------------------------------ --rows
def test_rows_select_what_they_read():
    args = lt_benchmark.parse_args(['--section', 'lt-heads-two-stage',
                                    '--rows', 'lws', 'cosine-ldam'])
    # lws starts from ce's checkpoint: ce is trained (or reused) too
    assert args.train_rows == ['ce', 'cosine-ldam', 'lws']
    assert lt_benchmark.parse_args(
        ['--section', 'lt-samplers']).train_rows == [
            c.name for c in lt_protocol.section_plan('lt-samplers')[1]]
    # the routed ensemble reads two earlier rows' checkpoints
    routed = lt_benchmark.parse_args(['--section', 'group-lift-rare',
                                      '--rows', 'routed-rare'])
    assert routed.train_rows == ['ce-rare', 'plan-c-rare', 'routed-rare']


def test_rows_unknown_name_is_refused(capsys):
    with pytest.raises(SystemExit):
        lt_benchmark.parse_args(['--section', 'lt-samplers', '--rows',
                                 'drs', 'nope'])
    assert "--rows ['nope']: not rows of this section" in \
        capsys.readouterr().err


def test_rows_render_kept_runs_and_name_the_rest(tmp_path, monkeypatch):
    """Only ``--rows`` are run; the other rows come from their kept runs
    when every seed has one, else the section names them as not run."""
    out = tmp_path / 'bench.md'
    argv = ['--section', 'lt-samplers', '--work-dir', str(tmp_path),
            '--records-dir', str(tmp_path / 'records'),
            '--out', str(out), '--seeds', '0', '1', '--rows', 'drs']
    args = lt_benchmark.parse_args(argv)
    specs = {c.name: c for c in args.configs}
    # kept runs: ce for both seeds, the sqrt sampler for seed 0 only
    for name, seeds in (('ce', (0, 1)), ('sqrt-sampler', (0, ))):
        for seed in seeds:
            d = lt_runs.run_dir_of(args, name, seed)
            __import__('os').makedirs(d)
            r = _result(name, seed, 70.0 + seed)
            with open(osp.join(d, lt_logs.RESULT_FILE), 'w') as f:
                json.dump(dict(vars(r), epochs=60,
                               config=specs[name].path), f)
    trained = []

    def fake_run_one(spec, seed, args, specs):
        trained.append((spec.name, seed))
        r = _result(spec.name, seed, 60.0)
        d = lt_runs.run_dir_of(args, spec.name, seed)
        __import__('os').makedirs(d)
        with open(osp.join(d, lt_logs.RESULT_FILE), 'w') as f:
            json.dump(dict(vars(r), epochs=60, config=spec.path), f)
        return r

    monkeypatch.setattr(lt_benchmark, 'run_one', fake_run_one)
    monkeypatch.setattr(lt_runs, 'config_epochs', lambda path: 60)
    monkeypatch.setattr(lt_benchmark, 'machine_info', lambda py: 'cpu')
    assert lt_benchmark.main(argv) == 0
    assert trained == [('drs', 0), ('drs', 1)]
    text = out.read_text()
    table = [line.split(' | ')[0] for line in text.splitlines()
             if line.startswith('| ') and 'config' not in line]
    assert table == ['| ce', '| drs']
    assert ('Not run yet (no kept runs for every seed): class-balanced-'
            'sampler (0 of 2 seeds), sqrt-sampler (1 of 2 seeds)') in text


def test_render_only_trains_nothing_and_prints_the_reuse_command(
        tmp_path, monkeypatch):
    """``--render-only`` writes the section from the kept runs alone (a
    row without them is named as not run yet) and prints the command that
    renders it again, with --reuse."""
    out = tmp_path / 'bench.md'
    argv = ['--section', 'lt-samplers', '--work-dir', str(tmp_path),
            '--records-dir', str(tmp_path / 'records'), '--out', str(out),
            '--seeds', '0', '--render-only']
    args = lt_benchmark.parse_args(argv)
    d = lt_runs.run_dir_of(args, 'ce', 0)
    __import__('os').makedirs(d)
    with open(osp.join(d, lt_logs.RESULT_FILE), 'w') as f:
        json.dump(dict(vars(_result('ce', 0, 70.0)), epochs=60,
                       config=args.configs[0].path), f)

    def no_training(*args, **kwargs):
        raise AssertionError('--render-only trained a row')

    monkeypatch.setattr(lt_benchmark, 'run_one', no_training)
    monkeypatch.setattr(lt_runs, 'run_one', no_training)
    monkeypatch.setattr(lt_runs, 'config_epochs', lambda path: 60)
    monkeypatch.setattr(lt_benchmark, 'machine_info', lambda py: 'cpu')
    assert lt_benchmark.main(argv) == 0
    text = out.read_text()
    assert '| ce | 1 | 70.00 |' in text
    assert 'Not run yet (no kept runs for every seed): class-balanced-' \
        'sampler (0 of 1 seeds)' in text
    assert '--section lt-samplers --seeds 0 --reuse\n```' in text


def test_schedule_line_takes_the_first_rows_options():
    config = 'configs/baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py'
    converged = lt_protocol.PROTOCOLS['converged']
    plain = lt_render.describe_schedule(config, None, converged)
    assert plain.startswith("protocol 'converged': 60 epochs")
    assert 'CosineAnnealingLR (epochs 5-60, per iteration)' in plain
    # a longer-schedule control (protocol-100e): the cosine runs to its end
    longer = lt_render.describe_schedule(
        config, None, converged,
        ['train_cfg.max_epochs=100', 'train_cfg.dynamic_intervals=[(80,1)]'])
    assert longer.startswith("protocol 'converged': 100 epochs")
    assert 'validation every 5 epochs, every 1 from epoch 80,' in longer
    assert 'CosineAnnealingLR (epochs 5-100, per iteration)' in longer


def test_numerics_names_the_kernels_and_threads_a_child_gets(monkeypatch):
    import sys

    import torch

    from benchmarks import common
    common.numerics.cache_clear()
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    assert common.numerics(sys.executable) == (
        f'torch CPU {torch.backends.cpu.get_cpu_capability()}, 1 thread')
    # an interpreter that prints nothing (no torch): said, not guessed
    assert common.numerics('/bin/true') == 'unknown'
    common.numerics.cache_clear()
