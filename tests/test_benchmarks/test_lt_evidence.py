"""The evidence sections (``python -m benchmarks.lt_evidence``) and the
readers they share: runs, curves, the noise rule, the tables."""
import json
import math

import pytest

from benchmarks import (convergence, group_lift, lt_curves, lt_results,
                        lt_tables, noise, paper_signs, recipe_direction)


def test_paper_gain_is_the_error_reduction():
    fig = paper_signs.PAPER_FIGURES['ldam-drw']
    assert fig.gain == pytest.approx(29.64 - 22.97)
    assert paper_signs.PAPER_FIGURES['cs-ce'].gain < 0
    # balanced accuracies 71.36 -> 77.32 of the logit-adjustment reference
    posthoc = paper_signs.PAPER_FIGURES['ce-posthoc-la']
    assert posthoc.gain == pytest.approx(77.32 - 71.36)
    assert posthoc.source == paper_signs.LOGIT_ADJUSTMENT
    # the combinations' anchors: Bag of Tricks' best single-stage
    # combination 81.35, MiSLAS 82.5, each against its code base's CE
    bs_mixup = paper_signs.PAPER_FIGURES['balanced-softmax-mixup']
    assert bs_mixup.gain == pytest.approx(30.12 - 18.65)
    assert bs_mixup.source == paper_signs.BOT_COMBINATIONS
    assert paper_signs.PAPER_FIGURES['mislas'].gain == pytest.approx(
        82.5 - (100 - 29.64))


def test_sign_rows_noise_and_agreement():
    rows = {r.name: r for r in paper_signs.sign_rows({
        'ce': [80.0, 81.0, 82.0],
        'ldam-drw': [85.0, 86.0, 87.0],    # +5, paper +6.67: agrees
        'cs-ce': [84.0, 85.0, 86.0],       # +4, paper -1.10: opposite
        'ldam': [80.5, 81.5, 82.5],        # +0.5: inside the noise
        'deep-supervision': [85.0, 86.0, 87.0],  # no paper figure
        'one-seed': [90.0],
    })}
    assert rows['ldam-drw'].delta == pytest.approx(5.0)
    assert rows['ldam-drw'].pooled_std == pytest.approx(1.0)
    assert rows['ldam-drw'].agrees is True
    assert rows['cs-ce'].agrees is False
    assert rows['ldam'].beyond_noise is False and rows['ldam'].agrees is None
    assert rows['deep-supervision'].paper is None
    assert math.isnan(rows['one-seed'].pooled_std)
    table = paper_signs.render_sign_table(list(rows.values()))
    assert '**opposite sign to the paper**' in table
    assert '| ldam | +0.75 (LDAM loss) |' in table
    assert 'within noise' in table and 'n/a (one seed)' in table
    assert 'beyond noise (no paper figure)' in table
    with pytest.raises(KeyError, match="no 'ce' row"):
        paper_signs.sign_rows({'ldam': [1.0]})


def test_a_row_without_a_paper_figure_needs_no_entry():
    """A new method's row (no PAPER_FIGURES entry) is measured and shown
    with a dash and 'no CIFAR-10-LT figure', as the page's rows without a
    figure are: the papers' numbers are data, not a list to extend."""
    assert 'new-loss' not in paper_signs.PAPER_FIGURES
    rows = paper_signs.sign_rows({'ce': [80.0, 81.0, 82.0],
                                  'new-loss': [85.0, 86.0, 87.0],
                                  'other-loss': [80.5, 81.5, 82.5]})
    table = paper_signs.render_sign_table(rows).splitlines()
    assert table[2] == ('| new-loss | — | no CIFAR-10-LT figure | +5.00 | '
                        '1.00 | 3 | beyond noise (no paper figure) |')
    assert table[3] == ('| other-loss | — | no CIFAR-10-LT figure | +0.50 | '
                        '1.00 | 3 | within noise |')


def test_losses_line_names_the_investigation_or_its_absence():
    rows = paper_signs.sign_rows({
        'ce': [80.0, 81.0, 82.0],
        'mixup': [74.0, 75.0, 76.0],       # -6: investigated
        'seql': [75.0, 76.0, 77.0],        # -5: not investigated
        'ldam': [80.5, 81.5, 82.5],        # inside the noise: not named
        'ldam-drw': [85.0, 86.0, 87.0],    # a gain: not named
    })
    assert paper_signs.losses_line(rows) == (
        'Below cross-entropy beyond the noise: mixup (-6.00; why: the '
        '`mixup-bias` section); seql (-5.00; not investigated).')
    assert paper_signs.losses_line(rows[2:]) == (
        'Below cross-entropy beyond the noise: none.')


def test_change_over_last_fifth_is_the_fitted_line():
    # a line 0.1 per epoch: 2 points over the last 20 of 100 epochs
    curve = {e: 0.1 * e for e in range(0, 101, 5)}
    assert lt_curves.change_over_last_fifth(curve, 100) == \
        pytest.approx(2.0)
    flat = {e: 81.0 + (0.3 if e % 2 else -0.3) for e in range(48, 61)}
    assert abs(lt_curves.change_over_last_fifth(flat, 60)) < 0.5
    assert lt_curves.change_over_last_fifth({60: 1.0}, 60) is None


def test_epoch_curves_from_scalars():
    records = [
        dict(loss=1.0, epoch=1, iter=10, step=10),
        dict(loss=0.5, epoch=1, iter=20, step=20),
        dict(loss=0.2, epoch=2, iter=30, step=30),
        {'long_tail/balanced_accuracy': 70.0, 'step': 2},
    ]
    loss, val = lt_curves.epoch_curves(records)
    assert loss == {1: 0.75, 2: 0.2} and val == {2: 70.0}


def test_read_results_and_signs_section(tmp_path):
    for row, seed, acc in (('ce', 0, 80.0), ('ce', 1, 82.0),
                           ('balanced-softmax', 0, 88.0),
                           ('balanced-softmax', 1, 90.0)):
        d = tmp_path / row / f'seed{seed}'
        d.mkdir(parents=True)
        (d / 'result.json').write_text(json.dumps(dict(
            name=row, seed=seed,
            metrics={'long_tail/balanced_accuracy': acc})))
    results = lt_results.read_results(str(tmp_path))
    assert sorted(results) == ['balanced-softmax', 'ce']
    body = paper_signs.render(results)
    assert '| balanced-softmax | +6.49' in body and '+8.00' in body
    assert 'same sign as the paper' in body


def test_read_results_refuses_a_run_whose_stage1_was_replaced(tmp_path):
    def run(row, stamp, **extra):
        d = tmp_path / row / 'seed0'
        (d / stamp / 'vis_data').mkdir(parents=True, exist_ok=True)
        (d / stamp / 'vis_data' / 'scalars.json').write_text(
            json.dumps(dict(loss=1.0, epoch=1, iter=1, step=1)))
        (d / 'result.json').write_text(json.dumps(dict(
            name=row, seed=0, extra=extra,
            metrics={'long_tail/balanced_accuracy': 80.0})))

    run('ce', '20260102_000000')
    run('crt', '20260103_000000', starts_from={'ce': '20260102_000000'})
    assert sorted(lt_results.read_results(str(tmp_path))) == ['ce', 'crt']
    # ce trained again: crt's figures belong to the run it replaced
    run('crt', '20260103_000000', starts_from={'ce': '20260101_000000'})
    with pytest.raises(ValueError, match="crt seed 0 started from ce's run "
                       '20260101_000000, its kept run is 20260102_000000'):
        lt_results.read_results(str(tmp_path))


def test_mean_curve_keeps_common_epochs():
    mean = lt_curves.mean_curve([{5: 50.0, 10: 60.0}, {5: 52.0}])
    assert mean == {5: 51.0}


def test_convergence_section_reads_the_kept_runs(tmp_path):
    for seed in (0, 1):
        d = tmp_path / 'ce' / f'seed{seed}'
        (d / '20260101_000000' / 'vis_data').mkdir(parents=True)
        (d / 'result.json').write_text(json.dumps(dict(
            name='ce', seed=seed, epochs=10,
            metrics={'long_tail/balanced_accuracy': 80.0})))
        lines = [dict(loss=1.0 / e, epoch=e, iter=e, step=e)
                 for e in range(1, 11)]
        lines += [{'long_tail/balanced_accuracy': 70.0 + e, 'step': e}
                  for e in (2, 4, 6, 8, 10)]
        (d / '20260101_000000' / 'vis_data' / 'scalars.json').write_text(
            '\n'.join(json.dumps(x) for x in lines))
    results = lt_results.read_results(str(tmp_path))
    body = convergence.render(results)
    convergence.draw(results, figure=str(tmp_path / 'fig.png'))
    assert '(figures/ce_convergence.png)' in body
    # +1 point per epoch over the last fifth (epochs 8-10): +2 points
    assert '| mean | 10 | 0.1000 |' in body and '| +2.00 |' in body
    assert '**not met**' in body
    assert (tmp_path / 'fig.png').is_file()
    with pytest.raises(FileNotFoundError, match="no finished 'ce' run"):
        convergence.render({})


def _kept_run(root, row, seed, balanced, epochs, val_curve):
    d = root / row / f'seed{seed}'
    (d / 'vis').mkdir(parents=True)
    lines = [dict(loss=1.0 / e, epoch=e, iter=e * 10, step=e * 10)
             for e in range(1, epochs + 1)]
    lines += [{'long_tail/balanced_accuracy': v, 'step': e}
              for e, v in val_curve.items()]
    (d / 'vis' / 'scalars.json').write_text(
        '\n'.join(json.dumps(x) for x in lines))
    (d / 'result.json').write_text(json.dumps(dict(
        name=row, seed=seed, epochs=epochs,
        metrics={'long_tail/balanced_accuracy': balanced})))


@pytest.mark.parametrize('long_accs, verdict', [
    ((80.5, 81.5, 79.5), 'inside the noise'),
    ((86.0, 87.0, 85.0), 'beyond the noise'),
])
def test_convergence_section_reads_the_longer_control(tmp_path, monkeypatch,
                                                      long_accs, verdict):
    monkeypatch.setattr(lt_results, 'find_scalars',
                        lambda d: str(tmp_path.joinpath(d, 'vis',
                                                        'scalars.json')))
    for seed, acc in enumerate((80.0, 81.0, 79.0)):
        _kept_run(tmp_path, 'ce', seed, acc, 10,
                  {e: 70.0 + e for e in (5, 8, 9, 10)})
    for seed, acc in enumerate(long_accs):
        # flat over its last fifth (epochs 16-20)
        _kept_run(tmp_path, 'ce-100e', seed, acc, 20,
                  {e: 80.0 for e in (10, 16, 17, 18, 19, 20)})
    results = lt_results.read_results(str(tmp_path))
    body = convergence.render(results)
    convergence.draw(results, figure=str(tmp_path / 'fig.png'))
    assert (tmp_path / 'fig.png').is_file()
    delta = sum(long_accs) / 3 - 80.0
    assert f'Δ {delta:+.2f}: {verdict}' in body
    assert 'the same config with 20 epochs' in body
    assert ('Validated at 5 epochs of its last fifth, its validation '
            'balanced accuracy moves +0.00 points there (mean over seeds; '
            '|change| < 0.5: met), where the 10-epoch figure above rests on '
            '3 validations per seed (epochs 8, 9, 10)') in body
    # without the control's runs the section says it has none
    del results['ce-100e']
    body = convergence.render(results)
    assert ('Longer-schedule control (`ce-100e`): no kept runs to compare '
            'with') in body
    assert 'Δ' not in body


def test_sign_table_leaves_out_group_lift_rows_and_controls():
    results = {name: {s: dict(metrics={'long_tail/balanced_accuracy':
                                       80.0 + s})
                      for s in range(3)}
               for name in ('ce', 'ldam-drw', 'ce-rare', 'ce-100e')}
    body = paper_signs.render(results)
    assert '| ldam-drw |' in body
    assert 'ce-rare' not in body and 'ce-100e' not in body
    # the long-tail rows without runs are named
    pending = body.split('Not run yet (no finished runs): ')[1]
    names = pending.split('.\n')[0].split(', ')
    assert 'focal, softmax-focal' in pending and 'ldam-drw' not in names
    # the oracle is the gap's end, not a method with a paper sign; so is
    # each oracle trained with a recipe
    assert 'oracle' not in names and 'logit-adjusted-mixup' in names
    assert not [n for n in names if n.startswith('oracle')]
    results['oracle-mixup'] = results['ldam-drw']
    assert '| oracle-mixup |' not in paper_signs.render(results)


def _per_class(d, f1_by_count):
    rows = ['class_index,class_name,shot,train_count,test_count,precision,'
            'recall,f1']
    for i, (count, f1) in enumerate(f1_by_count):
        rows.append(f'{i},c{i},many,{count},100,50,50,{f1}')
    (d / 'per_class.csv').write_text('\n'.join(rows) + '\n')


def test_smallest_class_f1_reads_the_class_with_fewest_images(tmp_path):
    _per_class(tmp_path, [(100, 90.0), (5, 33.0), (5, 10.0), (50, 1.0)])
    # fewest training images, the lower index on a tie (not the worst F1)
    assert lt_results.smallest_class_f1(str(tmp_path)) == 33.0
    with pytest.raises(FileNotFoundError, match='save_per_class'):
        lt_results.smallest_class_f1(str(tmp_path / 'none'))


def test_recipe_direction_section(tmp_path):
    results = {}
    for row, top1, small in (('v1', (80.0, 81.0, 82.0), (40.0, 42, 44)),
                             ('v4', (80.5, 81.5, 82.5), (60.0, 62, 64))):
        for seed in range(3):
            d = tmp_path / row / f'seed{seed}'
            d.mkdir(parents=True)
            _per_class(d, [(1000, 90.0), (10, small[seed])])
            results.setdefault(row, {})[seed] = dict(
                run_dir=str(d), metrics={'long_tail/top1': top1[seed],
                                         'long_tail/macro_f1': 70.0 + seed})
    body = recipe_direction.render(results)
    lines = {line.split(' | ')[0][2:]: line for line in body.splitlines()
             if line.startswith('| ')}
    assert '85.2 → 91.5 (+6.3)' in lines['top-1']
    assert lines['top-1'].endswith('| +0.50 | 1.00 | within noise |')
    assert lines["smallest class's F1"].endswith(
        '| +20.00 | 2.00 | same direction as the reference project |')
    assert '81 → not reported' in lines['macro-F1']
    del results['v4']
    with pytest.raises(FileNotFoundError, match=r"\['v4'\]"):
        recipe_direction.render(results)


def _recipe_run(root, row, seed, sampler, top1, worst, recall0):
    d = root / row / f'seed{seed}'
    d.mkdir(parents=True)
    rows = ['class_index,class_name,shot,train_count,test_count,precision,'
            'recall,f1']
    for i, name in enumerate(('big', 'shirt', 'boot')):
        recall = 0 if name in recall0 else 50
        rows.append(f'{i},{name},many,{100 // (i + 1)},100,50,{recall},'
                    f'{recall}')
    (d / 'per_class.csv').write_text('\n'.join(rows) + '\n')
    (d / f'{row}.py').write_text(
        f'train_dataloader = dict(sampler={sampler!r})\n')
    return dict(run_dir=str(d), metrics={'long_tail/top1': top1,
                                         'long_tail/worst_class_f1': worst})


def test_ablation_lines_name_samplers_missed_classes_and_the_verdict(
        tmp_path):
    cb = dict(type='RebalancedSampler', strategy='class_balanced')
    plain = dict(type='DefaultSampler', shuffle=True)
    results = {'v1': {}, 'v2': {}, 'v2-cb-resample': {}}
    for seed in range(3):
        results['v1'][seed] = _recipe_run(tmp_path, 'v1', seed, cb,
                                          72.0 + seed, 25.0, ())
        results['v2'][seed] = _recipe_run(
            tmp_path, 'v2', seed, plain, 62.0 + seed, 0.0,
            ('boot', 'shirt') if seed else ('boot',))
        results['v2-cb-resample'][seed] = _recipe_run(
            tmp_path, 'v2-cb-resample', seed, cb, 62.5 + seed, 20.0 + seed,
            ())
    body = '\n'.join(recipe_direction.ablation_lines(results))
    table = {line.split(' | ')[0][2:]: line for line in body.splitlines()
             if line.startswith('| v')}
    # the smallest class (boot, 33 training images) has recall = F1 0
    assert table['v2'] == ('| v2 | DefaultSampler | 63.00 ± 1.00 (3) | '
                           '0.00 ± 0.00 (3) | 0.00 ± 0.00 (3) | '
                           'boot (3/3), shirt (2/3) |')
    assert table['v2-cb-resample'].startswith(
        '| v2-cb-resample | RebalancedSampler (class_balanced) |')
    assert table['v2-cb-resample'].endswith('| none |')
    assert '- top-1: v2-cb-resample − v2 = +0.50 (pooled std 1.00): ' \
        'within noise.' in body
    assert '- worst-class F1: v2-cb-resample − v2 = +21.00 (pooled std ' \
        '0.71): beyond noise.' in body
    assert "- smallest class's F1: v2-cb-resample − v2 = +50.00 (pooled " \
        'std 0.00): beyond noise.' in body
    # and against the recipe whose sampler it takes
    assert '- top-1: v2-cb-resample − v1 = -9.50 (pooled std 1.00): ' \
        'beyond noise.' in body
    # no lines before the ablation has runs
    del results['v2-cb-resample']
    assert recipe_direction.ablation_lines(results) == []


def test_group_plan_lines_compare_each_plan_with_v1_per_group():
    def runs(g1, g0):
        return {seed: dict(metrics={'long_tail/group1_accuracy': g1 + seed,
                                    'long_tail/group0_accuracy': g0})
                for seed in range(3)}
    results = {'v1': runs(60.0, 75.0), 'plan-c': runs(70.0, 74.0),
               'plan-a': runs(60.5, 75.0)}
    body = '\n'.join(recipe_direction.group_plan_lines(results))
    rows = {line.split(' | ')[0][2:]: line for line in body.splitlines()
            if line.startswith('| v1') or line.startswith('| plan')}
    assert list(rows) == ['v1', 'plan-a', 'plan-c']  # plan-b: no runs
    assert rows['plan-c'] == ('| plan-c | 71.00 ± 1.00 (3) | +10.00 (beyond '
                              'noise) | 74.00 ± 0.00 (3) | -1.00 (beyond '
                              'noise) |')
    assert '| +0.50 (within noise) |' in rows['plan-a']
    assert recipe_direction.group_plan_lines({'v1': runs(60.0, 75.0)}) == []


def _group_runs(g1, g0, balanced=70.0, few=50.0):
    """{seed: result} with the group-lift metrics, one value per seed."""
    return {s: dict(metrics={'long_tail/group1_accuracy': a,
                             'long_tail/group0_accuracy': b,
                             'long_tail/balanced_accuracy': balanced + s,
                             'long_tail/few_shot': few})
            for s, (a, b) in enumerate(zip(g1, g0))}


def test_noise_verdict_words():
    assert noise.noise_verdict(None) == 'n/a (one seed)'
    assert noise.noise_verdict(True) == 'beyond noise'
    assert noise.noise_verdict(False) == 'within noise'
    # sample std 0.5 on both sides: pooled 0.5, bar 1.0
    low, high = [1.5, 2, 2.5], [3.5, 4, 4.5]
    assert noise.difference_cell(low, high) == '+2.00 (helps)'
    assert noise.difference_cell(high, low, 1) == '-2.0 (hurts)'
    assert noise.difference_cell(low, [2, 2.5, 3]) == '+0.50 (within noise)'
    assert noise.difference_cell([1], [2]) == '+1.00 (n/a (one seed))'


def test_group_lift_section_names_the_lift_and_its_cost():
    results = {
        'ce-rare': _group_runs((50.0, 51.0, 52.0), (80.0, 81.0, 82.0)),
        # +10 on group 1, -5 on group 0: both beyond the noise
        'plan-c-rare': _group_runs((60.0, 61.0, 62.0), (75.0, 76.0, 77.0)),
        # +0.5 on group 1: within the noise
        'g1-weight2-rare': _group_runs((50.5, 51.5, 52.5),
                                       (80.0, 81.0, 82.0)),
        # two seeds only: not in the table, named as not measured
        'plan-a-rare': _group_runs((70.0, 71.0), (80.0, 81.0)),
    }
    body = group_lift.render(results)
    # the from-scratch table, before the fine-tuned part
    scratch = body.split('Rare group 1, fine-tuned')[0]
    rows = {line.split(' | ')[0][2:]: line for line in scratch.splitlines()
            if line.startswith('| ') and not line.startswith('| row')}
    assert list(rows) == ['ce-rare', 'g1-weight2-rare', 'plan-c-rare']
    assert rows['plan-c-rare'].startswith(
        '| plan-c-rare | 61.00 ± 1.00 (3) | +10.00 (beyond noise) | '
        '76.00 ± 1.00 (3) | -5.00 (beyond noise) | 71.00 ± 1.00 (3) | '
        '+0.00 (within noise) |')
    assert '+0.50 (within noise)' in rows['g1-weight2-rare']
    assert ('Group 1 lifted beyond the noise by: plan-c-rare (+10.00 on '
            'group 1; group 0 -5.00, beyond noise).') in body
    assert 'plan-a-rare (2 of 3 seeds)' in body
    assert 'multitask-rare (0 of 3 seeds)' in body
    # the degraded case has no baseline yet: no table for it
    assert '### Degraded' not in body and '### Rare group 1' in body
    with pytest.raises(FileNotFoundError, match='no group-lift baseline'):
        group_lift.render({'ce-rare': results['plan-a-rare']})


def test_group_lift_section_sets_the_fine_tuned_plans_beside():
    """The fine-tuned runs get their own table against their own
    baseline, and a side-by-side table of the plans both protocols train
    says where the group-1 advice flips; a case without a fine-tuned
    baseline says so."""
    base = _group_runs((50.0, 51.0, 52.0), (80.0, 81.0, 82.0))
    lifted = _group_runs((60.0, 61.0, 62.0), (80.0, 81.0, 82.0))
    scratch = {'ce-rare': base, 'plan-c-rare': lifted,
               'g1-weight2-rare': lifted,
               'ce-degraded': base, 'plan-a-degraded': lifted}
    # fine-tuned: a baseline 10 points higher on group 1, plan C no lift,
    # g1-weight2 not run; no degraded runs at all
    finetuned = {
        'ce-rare': _group_runs((60.0, 61.0, 62.0), (85.0, 86.0, 87.0)),
        'plan-c-rare': _group_runs((60.5, 61.5, 62.5), (85.0, 86.0, 87.0)),
    }
    body = group_lift.render(scratch, finetuned)
    tuned = body.split('### Rare group 1, fine-tuned')[1].split('###')[0]
    assert '| plan-c-rare | 61.50 ± 1.00 (3) | +0.50 (within noise) |' \
        in tuned
    assert 'Group 1 lifted beyond the noise by: no plan.' in tuned
    assert 'g1-weight2-rare (0 of 3 seeds)' in tuned
    assert ('| plan-c-rare | helps (+10.00) | within noise (+0.50) | yes | '
            'within noise (+0.00) | within noise (+0.00) |') in body
    assert ('| g1-weight2-rare | helps (+10.00) | not run yet | — | '
            'within noise (+0.00) | not run yet |') in body
    # rows only the converged plan has are not in the side-by-side table
    assert '| focal-rare | helps' not in body
    assert ('Degraded group 1, fine-tuned (EfficientNet-Lite0 from '
            'ImageNet-1k weights): not run yet (ce-degraded has 0 of 3 '
            'seeds).') in body
    assert '| plan-a-degraded | helps (+10.00) | not run yet | — |' in body


def test_val_curve_lines_read_the_validation_scalars(tmp_path):
    results = {}
    for row, offset in (('ce-rare', 0.0), ('plan-c-rare', 5.0)):
        for seed in (0, 1):
            d = tmp_path / row / f'seed{seed}'
            (d / 'stamp' / 'vis_data').mkdir(parents=True)
            lines = [dict(loss=1.0, epoch=1, iter=1, step=1)]
            lines += [{'long_tail/group1_accuracy': e + offset + seed,
                       'step': e} for e in (10, 20, 30, 40)]
            (d / 'stamp' / 'vis_data' / 'scalars.json').write_text(
                '\n'.join(json.dumps(x) for x in lines))
            results.setdefault(row, {})[seed] = dict(run_dir=str(d),
                                                     epochs=40)
    # a test-only row (no training, epochs 0) has no curve
    results['routed-rare'] = {0: dict(run_dir='none', epochs=0)}
    body = '\n'.join(lt_tables.val_curve_lines(
        results, ['ce-rare', 'plan-c-rare', 'routed-rare']))
    assert '| row | epoch 10 | epoch 20 | epoch 30 | epoch 40 |' in body
    assert '| ce-rare | 10.50 | 20.50 | 30.50 | 40.50 |' in body
    assert '| plan-c-rare | 15.50 | 25.50 | 35.50 | 45.50 |' in body
    assert 'routed-rare' not in body


def test_sign_table_has_the_fine_tuned_column():
    """Beside the converged verdict, the same difference under the
    fine-tuning protocol: for its rows with 3 seeds of the row and of
    cross-entropy, else 'not run yet'; a dash for a row it does not train.
    The fine-tuned results are optional (none: not run yet)."""
    def runs(acc, seeds=3):
        return {s: dict(metrics={'long_tail/balanced_accuracy': acc + s})
                for s in range(seeds)}

    converged = {'ce': runs(80.0), 'ldam-drw': runs(85.0),
                 'cb-ce': runs(81.0), 'focal': runs(75.0),
                 'class-balanced-sampler': runs(82.0)}
    finetuned = {'ce': runs(90.0), 'ldam-drw': runs(90.5),
                 'focal': runs(80.0, seeds=2),
                 'class-balanced-sampler': runs(93.0)}
    assert paper_signs.PROTOCOLS == ('converged', 'finetune')
    body = paper_signs.render(converged, finetuned)
    rows = {line.split(' | ')[0][2:]: line for line in body.splitlines()
            if line.startswith('| ')}
    assert rows['row'].endswith('| verdict | fine-tuned: Δ (verdict) |')
    assert rows['ldam-drw'].endswith(
        '| same sign as the paper | +0.50 (within noise) |')
    assert rows['class-balanced-sampler'].endswith(
        '| +3.00 (**opposite sign to the paper**) |')
    assert rows['focal'].endswith('| not run yet |')
    assert rows['cb-ce'].endswith('| within noise | — |')
    assert 'a dash: a row the fine-tuning protocol does not train' in body
    # without the fine-tuning protocol's results, as the converged-only
    # callers render it: every row it trains is not run yet
    rows = {line.split(' | ')[0][2:]: line
            for line in paper_signs.render(converged).splitlines()
            if line.startswith('| ')}
    assert rows['ldam-drw'].endswith('| not run yet |')
    assert rows['cb-ce'].endswith('| — |')
    # without cross-entropy's 3 seeds there, nothing is compared
    del finetuned['ce'][2]
    assert paper_signs.finetune_sign_rows(finetuned)['ldam-drw'] is None
