"""benchmarks/advisor_check (section advisor-check): the advisor's
predictions on validation logits against its fixes measured on test
logits, the shifted-prior table and the section's text, end to end on
synthetic logits (no model, no training); the scored logits kept beside a
checkpoint; and, when the page has the section, that it re-renders from
its records."""
import copy
import json
import os.path as osp
import re
import shlex

import numpy as np
import pytest

from benchmarks import advisor_check as ac
from benchmarks import page
from benchmarks.advisor_measure import seed_record
from benchmarks.advisor_render import render
from benchmarks.common import ROOT
from benchmarks.noise import difference, gain_verdict
from mmlt.analysis.advice.advisor import AdviceOptions, advise
from mmlt.analysis.advice.inputs import AdviceInputs, HeadSettings
from mmlt.analysis.advice.logit_adjustment import log_prior, logit_adjust
from mmlt.analysis.advice.tau_normalisation import tau_norm_logits

COUNTS = np.array([1000, 464, 215, 100, 46, 21, 10])
PROVENANCE = ('- Code:', '- Machine:')
RESAMPLES = 100


def _inputs(seed: int, per_class: int) -> AdviceInputs:
    """Gaussian classes seen through a linear classifier whose rows grow
    with the training counts (a long-tailed model's bias to the head)."""
    world = np.random.default_rng(0)
    means = world.normal(scale=1.5, size=(COUNTS.size, 6))
    weight = means * (COUNTS / COUNTS.max())[:, None]**0.2
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(COUNTS.size), per_class)
    feats = means[labels] + rng.normal(size=(labels.size, 6))
    return AdviceInputs(
        logits=feats @ weight.T, labels=labels, class_counts=COUNTS,
        classes=tuple('abcdefg'), source='synthetic', feats=feats,
        weight=weight, head=HeadSettings('LTLinearClsHead', True))


def _record(seed: int) -> dict:
    record = seed_record(_inputs(seed, 40), _inputs(100 + seed, 300), seed,
                         AdviceOptions(num_resamples=RESAMPLES))
    record.update(config='c.py', run_stamp=None, checkpoint=f'ck{seed}',
                  machine='m')
    return json.loads(json.dumps(record))  # as kept


@pytest.fixture(scope='module')
def records():
    return {0: _record(0), 1: _record(1), 2: None}


def _balanced(logits, labels):
    pred = logits.argmax(1)
    return 100 * np.mean([np.mean(pred[labels == c] == c)
                          for c in np.unique(labels)])


def test_predicted_is_the_advisors_and_measured_uses_its_parameters():
    val, test = _inputs(0, 40), _inputs(100, 300)
    options = AdviceOptions(num_resamples=RESAMPLES)
    record = seed_record(val, test, 0, options)
    advice = advise(val, options)
    by_key = {e['key']: e for e in record['candidates']}
    assert record['recommended'] == (advice.recommended.key
                                     if advice.recommended else None)
    base = _balanced(test.logits, test.labels)
    assert record['base']['test']['balanced_accuracy'] == pytest.approx(base)
    for result in advice.results:
        entry = by_key[result.key]
        # predicted: what the advisor reports, on validation
        assert entry['predicted']['balanced_accuracy']['delta'] == \
            pytest.approx(result.changes['balanced_accuracy'].delta)
        assert entry['predicted']['few_shot']['low'] == pytest.approx(
            result.changes['few_shot'].low)
    # measured: the deployed parameters (tuned on all of val) on test
    tau = by_key['logit_adjust']['params']
    assert tau == advice.results[0].params
    adjusted = logit_adjust(test.logits, log_prior(COUNTS), tau)
    assert by_key['logit_adjust']['measured']['balanced_accuracy'][
        'delta'] == pytest.approx(_balanced(adjusted, test.labels) - base)
    tau = by_key['tau_norm']['params']
    normed = tau_norm_logits(test.feats, test.weight, tau)
    assert by_key['tau_norm']['measured']['balanced_accuracy'][
        'delta'] == pytest.approx(_balanced(normed, test.labels) - base)
    bias = np.asarray(by_key['class_bias']['params'])
    assert by_key['class_bias']['measured']['balanced_accuracy'][
        'delta'] == pytest.approx(
            _balanced(test.logits + bias[None], test.labels) - base, abs=0.05)
    # the fixes help this model, and temperature scaling changes no argmax
    assert by_key['tau_norm']['measured']['balanced_accuracy']['delta'] > 0
    assert by_key['temperature']['measured']['balanced_accuracy'][
        'delta'] == 0
    assert record['calibration']['measured']['before'] > 0


def test_prior_shift_profiles():
    test = _inputs(7, 300)
    shift = seed_record(_inputs(0, 40), test, 3,
                        AdviceOptions(num_resamples=20))['prior_shift']
    assert set(shift) == {'train', 'uniform', 'reversed'}
    # the training profile's true prior is the training prior: no change
    assert shift['train']['true'] == shift['train']['unadjusted']
    # a balanced test set is its own uniform profile
    assert shift['uniform']['images'] == test.labels.size
    assert shift['uniform']['unadjusted'] == pytest.approx(
        100 * np.mean(test.logits.argmax(1) == test.labels))
    # the reversed tail: the known prior, and EM without labels, help
    rev = shift['reversed']
    assert rev['true'] > rev['unadjusted'] and rev['em_steps'] >= 1
    assert 0 <= rev['estimate_error'] <= 100


def test_the_section_from_records_and_rows(records, tmp_path):
    rows = {}
    for row, level in (('ce', 70.0), ('tau-norm', 75.0), ('crt', 71.0),
                       ('lws', 72.0)):
        rows[row] = {s: dict(run_dir=str(tmp_path / row), metrics={
            'long_tail/balanced_accuracy': level + s,
            'long_tail/few_shot': level - 20 + 2 * s}) for s in range(3)}
    del rows['lws'][2]
    body = render(records, rows, 'python -m benchmarks.advisor_check')
    assert 'Seeds of the `ce` row scored: 0, 1; not available' in body
    assert re.search(r'not available .*: 2\.', body)
    # a row with three seeds: its change against ce by the noise rule
    delta, pooled = difference([70, 71, 72], [75, 76, 77])
    assert f'tau-norm: {delta:+.2f} ({gain_verdict(delta, pooled)})' in body
    assert 'lws: not run yet (needs 3 seeds of it and of ce)' in body
    assert 'ce-posthoc-la: not run yet' in body
    # every candidate that changes predictions, with both seeds' figures
    tau = [e for r in (records[0], records[1]) for e in r['candidates']
           if e['key'] == 'tau_norm']
    mean = np.mean([e['measured']['balanced_accuracy']['delta']
                    for e in tau])
    assert f'{mean:+.2f} ± ' in body
    assert '#### Shifted class priors' in body
    assert body.count('| training profile (IR 100) |') == 1
    assert 'Best on test by mean balanced accuracy:' in body
    assert 'row tau-norm' in body and 'row lws' not in body
    # no seed kept: says so and renders nothing else
    empty = render({0: None}, {}, 'python -m benchmarks.advisor_check')
    assert 'scored: none; not available' in empty and '|' not in empty


def test_no_pick_is_the_model_as_it_is(records):
    kept = copy.deepcopy(records)
    for seed in (0, 1):
        kept[seed]['recommended'] = None
    body = render(kept, {}, 'x')
    assert 'seed 0: none (keep the model); seed 1: none (keep the model)' \
        in body
    base = [kept[s]['base']['test']['balanced_accuracy'] for s in (0, 1)]
    assert f'the pick, {np.mean(base):.2f} ± {np.std(base, ddof=1):.2f}' \
        in body


def test_a_changed_record_changes_the_section(records):
    before = render(records, {}, 'x')
    changed = copy.deepcopy(records)
    changed[0]['candidates'][0]['measured']['balanced_accuracy'][
        'delta'] += 1.0
    assert before != render(changed, {}, 'x')


def test_kept_logits_round_trip_and_a_missing_checkpoint(tmp_path):
    inputs = _inputs(0, 5)
    path = str(tmp_path / 'kept.npz')
    ac._save_inputs(path, inputs, 12.5)
    back = ac._load_inputs(path, inputs.head, 12.5)
    np.testing.assert_array_equal(back.logits, inputs.logits)
    np.testing.assert_array_equal(back.weight, inputs.weight)
    assert back.classes == inputs.classes and back.feats is not None
    # another checkpoint (its time) is scored again
    assert ac._load_inputs(path, inputs.head, 13.0) is None
    assert ac._load_inputs(str(tmp_path / 'none.npz'), None, 1.0) is None
    # a seed without a checkpoint writes nothing
    assert ac.run_seed(5, str(tmp_path), RESAMPLES) is None
    assert not osp.isfile(ac.record_path(5))


def test_the_command_line_it_names():
    assert ac.command_line(['--seeds', '0', '--render-only']) == \
        'python -m benchmarks.advisor_check --seeds 0'
    assert ac.parse_args([]).seeds == [0, 1, 2]


def _page_section():
    with open(osp.join(ROOT, 'docs', 'benchmarks.md')) as f:
        _, blocks, _ = page.split_page(f.read())
    if ac.SECTION not in blocks:
        return None
    return blocks[ac.SECTION].split('\n', 1)[1].rsplit('\n', 1)[0]


def test_page_section_equals_its_records():
    shown = _page_section()
    if shown is None:
        pytest.skip('the page has no advisor-check section yet')
    assert page.section(ac.SECTION).records
    command = re.search(r'^- Command: `(.+)`$', shown, re.M).group(1)
    argv = shlex.split(command)
    assert argv[:3] == ['python', '-m', 'benchmarks.advisor_check']
    rendered = ac.render_records(argv[3:])

    def figures(body):
        return [line for line in body.strip().splitlines()
                if not line.startswith(PROVENANCE)]

    assert figures(rendered) == figures(shown)


# ------------------------------------------------ the group-lift check
def _group_inputs(seed: int, per_class: int) -> AdviceInputs:
    """Every image twice, as group 0 (as it is) and as group 1, whose
    logits lean to class 0 (a model that has seen too little of group 1):
    a bias on group 1's logits can lift group 1 and leaves group 0 alone."""
    one = _inputs(seed, per_class)
    lean = np.zeros(COUNTS.size)
    lean[0] = 2.5
    rng = np.random.default_rng(seed + 50)
    styled = one.logits + lean[None] + rng.normal(
        scale=0.5, size=one.logits.shape)
    return AdviceInputs(
        logits=np.concatenate([one.logits, styled]),
        labels=np.concatenate([one.labels, one.labels]),
        class_counts=COUNTS, classes=one.classes, source='synthetic',
        groups=np.repeat([0, 1], one.labels.size),
        head=HeadSettings('LTLinearClsHead', True))


def _group_record(seed: int) -> dict:
    record = seed_record(_group_inputs(seed, 40), _group_inputs(100 + seed,
                                                                200),
                         seed, AdviceOptions(num_resamples=RESAMPLES,
                                             lift_group=1),
                         prior_shift=False)
    record.update(config='g.py', run_stamp=None, checkpoint=f'g{seed}',
                  machine='m', case='degraded', data_root='d')
    return json.loads(json.dumps(record))


def test_group_lift_record_measures_the_groups():
    val, test = _group_inputs(0, 40), _group_inputs(100, 200)
    record = seed_record(val, test, 0, AdviceOptions(
        num_resamples=RESAMPLES, lift_group=1), prior_shift=False)
    assert record['lift_group'] == 1 and 'prior_shift' not in record
    assert record['base']['test']['group_1'] < \
        record['base']['test']['group_0']
    bias = next(e for e in record['candidates'] if e['key'] == 'group_bias')
    # the bias deployed on group 1's test images alone
    b = np.asarray(bias['params'])
    new = test.logits + np.where(test.groups[:, None] == 1, b[None], 0.0)
    in1 = test.groups == 1
    before = 100 * np.mean(test.logits[in1].argmax(1) == test.labels[in1])
    after = 100 * np.mean(new[in1].argmax(1) == test.labels[in1])
    assert bias['measured']['group_1']['delta'] == pytest.approx(
        after - before, abs=0.05)
    assert bias['measured']['group_1']['delta'] > 0
    assert bias['measured']['group_0']['delta'] == 0
    assert bias['predicted']['group_1']['low'] is not None


def test_group_lift_section(tmp_path):
    from benchmarks.advisor_group_render import render_group_lift
    records = {'degraded': {0: _group_record(0), 1: _group_record(1),
                            2: None}}
    rows = {}
    for row, g1 in (('ce-degraded', 60.0), ('plan-a-degraded', 66.0)):
        rows[row] = {s: dict(run_dir=str(tmp_path / row), metrics={
            'long_tail/balanced_accuracy': 70.0 + s,
            'long_tail/group1_accuracy': g1 + s,
            'long_tail/group0_accuracy': 80.0 + s}) for s in range(3)}
    body = render_group_lift(records, rows, 'python -m x --group-lift '
                             'degraded')
    assert '#### group 1 degraded' in body
    assert 'Seeds of the `ce-degraded` row scored: 0, 1; not available ' \
        '(no checkpoint of that seed when this was written, so no record): ' \
        '2.' in body
    assert '| per-group bias (group 1) |' in body
    assert 'group 0 ' in body and '(+0.00: **within noise**)' in body
    delta, pooled = difference([60, 61, 62], [66, 67, 68])
    assert f'| plan-a-degraded | {delta:+.2f} ' \
        f'({gain_verdict(delta, pooled)}) |' in body
    assert 'plan-c-degraded | not run yet' in body
    changed = copy.deepcopy(records)
    bias = next(e for e in changed['degraded'][0]['candidates']
                if e['key'] == 'group_bias')
    bias['measured']['group_1']['delta'] += 1.0
    assert render_group_lift(changed, rows, 'x') != \
        render_group_lift(records, rows, 'x')
    # a case without any record says so and shows the trained rows alone
    empty = render_group_lift({'rare': {0: None}}, {}, 'x')
    assert 'scored: none' in empty and 'plan-a-rare | not run yet' in empty


def test_group_lift_options_and_kept_groups(tmp_path):
    args = ac.parse_args(['--group-lift', 'degraded', 'rare'])
    assert ac.work_dirs(args) == {c: ac.group_work_dir(c)
                                  for c in ('degraded', 'rare')}
    assert ac.work_dirs(ac.parse_args([])) == {None: ac.DEFAULT_WORK}
    with pytest.raises(SystemExit):
        ac.parse_args(['--group-lift', 'degraded', 'rare', '--work-dir', 'w'])
    with pytest.raises(SystemExit):
        ac.parse_args(['--group-lift', 'blurred'])
    cfg = ac.load_config(case='rare')
    assert cfg.test_dataloader.dataset.data_root == 'data/group_lift_rare'
    inputs = _group_inputs(0, 5)
    path = str(tmp_path / 'kept.npz')
    ac._save_inputs(path, inputs, 3.0)
    back = ac._load_inputs(path, inputs.head, 3.0)
    np.testing.assert_array_equal(back.groups, inputs.groups)
    assert ac.run_seed(4, str(tmp_path), RESAMPLES, 'rare') is None
