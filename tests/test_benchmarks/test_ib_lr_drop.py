import json

import pytest

from benchmarks import ib_lr_drop

IB_HOOK = ("default_hooks = dict(ib_warm_start=dict("
           "type='IBWarmStartHook', start_epoch={start}))\n")


def _run(tmp_path, row, seed, val, balanced, start=0.5):
    """A finished run: its dumped config (with the IB hook unless
    ``start`` is None), validation balanced accuracy ``val`` per logged
    epoch and the test figures."""
    d = tmp_path / row / f'seed{seed}'
    (d / 'stamp' / 'vis_data').mkdir(parents=True)
    (d / f'{row}.py.txt').write_text(
        'train_cfg = dict(max_epochs=60)\n'
        + (IB_HOOK.format(start=start) if start is not None else ''))
    lines = [dict(loss=1.0, epoch=1, iter=1, step=1)]
    lines += [{'long_tail/balanced_accuracy': v, 'step': e}
              for e, v in val.items()]
    (d / 'stamp' / 'vis_data' / 'scalars.json').write_text(
        '\n'.join(json.dumps(x) for x in lines))
    metrics = {'long_tail/balanced_accuracy': balanced + seed,
               'long_tail/many_shot': 90.0, 'long_tail/medium_shot': 70.0,
               'long_tail/few_shot': 60.0 + seed}
    return dict(run_dir=str(d), epochs=60, metrics=metrics)


def _results(tmp_path, drop_after=-10.0):
    def curve(after):
        return {25: 70.0, 30: 75.0, 35: 75.0 + after, 60: 80.0}

    return {
        'ce': {s: _run(tmp_path, 'ce', s, curve(1.0), 79.0, start=None)
               for s in (0, 1, 2)},
        'ib-no-lr-drop': {
            s: _run(tmp_path, 'ib-no-lr-drop', s, curve(drop_after + s),
                    78.0) for s in (0, 1, 2)},
        'ib': {s: _run(tmp_path, 'ib', s, curve(0.5), 83.0)
               for s in (0, 1, 2)},
    }


def test_switch_is_read_from_the_dumped_config(tmp_path):
    run = _run(tmp_path, 'ib', 0, {30: 75.0, 35: 70.0}, 80.0)
    assert ib_lr_drop.switch_epoch(run['run_dir'], 60) == 30
    run = _run(tmp_path, 'ib-late', 0, {40: 75.0, 45: 70.0}, 80.0,
               start=40)
    assert ib_lr_drop.around_switch(run) == (40, 75.0, 45, 70.0)
    plain = _run(tmp_path, 'ce', 0, {30: 75.0}, 80.0, start=None)
    with pytest.raises(KeyError, match='no ib_warm_start hook'):
        ib_lr_drop.switch_epoch(plain['run_dir'], 60)


def test_a_run_without_validations_on_both_sides_is_named(tmp_path):
    run = _run(tmp_path, 'ib', 0, {10: 60.0, 20: 70.0}, 80.0)
    with pytest.raises(ValueError, match=r'switch at epoch 30 \(validated '
                       r'at \[10, 20\]\)'):
        ib_lr_drop.around_switch(run)


def test_section_measures_the_switch(tmp_path):
    body = ib_lr_drop.render(_results(tmp_path))
    # test figures against ce: ib +4 beyond the noise (std 1 each)
    assert '| ib | 84.00 ± 1.00 (3) | +4.00 (beyond noise)' in body
    assert '| ib-no-lr-drop | 79.00 ± 1.00 (3) | -1.00 (within noise)' \
        in body
    # validation before (epoch 30) and after (epoch 35) the switch
    assert '| ib-no-lr-drop | 2 | 75.00 (30) | 67.00 (35) | -8.00 |' in body
    assert ('ib-no-lr-drop -9.00 ± 1.00 (3 seeds); ib +0.50 ± 0.00 '
            '(3 seeds).') in body
    assert 'default_hooks.ib_warm_start.lr_factor=1.0' in body


def test_section_refuses_rows_short_of_seeds(tmp_path):
    results = _results(tmp_path)
    del results['ib'][1]
    with pytest.raises(FileNotFoundError, match=r'ib \(2\)'):
        ib_lr_drop.render(results)
