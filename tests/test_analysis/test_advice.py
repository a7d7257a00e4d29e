"""The method advisor's pure functions (mmlt.analysis.advice) on synthetic
logits: what each candidate tunes is recovered, cross-fitting never scores
an image on which it tuned, EM finds a known prior, and the advice as a
whole (recommendation, bad input)."""
import numpy as np
import pytest
from scipy.special import softmax

from mmlt.analysis.advice.advisor import (AdviceOptions, advise,
                                          check_lift_group)
from mmlt.analysis.advice.class_bias import fit_class_bias
from mmlt.analysis.advice.cross_fitting import cross_fit, stratified_parts
from mmlt.analysis.advice.grid_tuning import selection_score
from mmlt.analysis.advice.inputs import AdviceInputs, HeadSettings
from mmlt.analysis.advice.logit_adjustment import (log_prior,
                                                   tune_logit_adjust_tau)
from mmlt.analysis.advice.prior_shift import (em_prior, prior_shift_bias,
                                              profile_weights,
                                              read_prior_file,
                                              resample_to_profile)
from mmlt.analysis.advice.report import format_table, ready_config_text
from mmlt.analysis.advice.tau_normalisation import tune_tau_norm
from mmlt.analysis.advice.temperature import fit_temperature

COUNTS = np.array([400, 200, 100, 50, 25])
PI = COUNTS / COUNTS.sum()


class Gaussians:
    """Unit-variance Gaussian classes in 2-D with exact posteriors."""

    def __init__(self, seed=0, num_classes=5, spread=2.0):
        self.rng = np.random.default_rng(seed)
        self.means = self.rng.normal(scale=spread, size=(num_classes, 2))

    def draw(self, labels):
        labels = np.asarray(labels)
        return self.means[labels] + self.rng.normal(size=(labels.size, 2))

    def logits(self, x, prior):
        """Bayes logits ``log p(x|y) + log prior``."""
        ll = -0.5 * ((x[:, None] - self.means[None]) ** 2).sum(-1)
        return ll + np.log(prior)[None]


# ------------------------------------------------------------ cross-fitting
def test_parts_are_stratified_and_balanced():
    labels = np.repeat(np.arange(4), [23, 11, 3, 1])
    parts = stratified_parts(labels, 5, seed=0)
    sizes = np.bincount(parts, minlength=5)
    assert sizes.max() - sizes.min() <= 1
    for c in range(4):
        per_part = np.bincount(parts[labels == c], minlength=5)
        assert per_part.max() - per_part.min() <= 1
    assert np.array_equal(parts, stratified_parts(labels, 5, seed=0))
    with pytest.raises(ValueError, match='num_parts=1'):
        stratified_parts(labels, 1)
    with pytest.raises(ValueError, match='more than the 38 images'):
        stratified_parts(labels, 39)


def test_cross_fitting_never_scores_on_tuning_images():
    labels = np.repeat(np.arange(3), 10)
    parts = stratified_parts(labels, 4, seed=1)
    seen = []

    def fit(tuning):
        seen.append(set(tuning.tolist()))
        return len(seen) - 1

    def apply(call, scored):
        assert not seen[call] & set(scored.tolist())
        return np.full((scored.size, 1), call)

    pooled, params = cross_fit(parts, fit, apply)
    assert params == [0, 1, 2, 3]
    # every image scored once, by the part that left it out of tuning
    for k in range(4):
        assert set(np.flatnonzero(pooled[:, 0] == k)) == \
            set(np.flatnonzero(parts == k))
        assert seen[k] == set(np.flatnonzero(parts != k))


# --------------------------------------------------------------- candidates
def test_logit_adjustment_recovers_tau_one_for_bayes_logits():
    world = Gaussians()
    labels = np.repeat(np.arange(5), 300)  # balanced evaluation
    logits = world.logits(world.draw(labels), PI)
    tau = tune_logit_adjust_tau(logits, labels, log_prior(COUNTS))
    assert tau == pytest.approx(1.0, abs=0.2)
    with pytest.raises(ValueError, match=r'classes \[1\] have no training'):
        log_prior([3, 0, 2])


def test_tau_norm_finds_a_positive_tau_when_norms_follow_the_counts():
    world = Gaussians(seed=1)
    labels = np.repeat(np.arange(5), 100)
    feats = np.eye(5)[labels] + 0.6 * world.rng.normal(size=(500, 5))
    weight = np.eye(5) * np.sqrt(COUNTS)[:, None] / 5
    tau = tune_tau_norm(feats, weight, labels)
    assert tau >= 0.5
    plain = selection_score(feats @ weight.T, labels, 5)
    normed = selection_score(feats @ (weight / np.linalg.norm(
        weight, axis=1, keepdims=True) ** tau).T, labels, 5)
    assert normed > plain


def test_learned_bias_improves_balanced_accuracy_on_shifted_logits():
    world = Gaussians(seed=2)
    labels = np.repeat(np.arange(5), 200)
    # logits shifted towards the head classes twice as much as Bayes
    logits = world.logits(world.draw(labels), PI) + np.log(PI)[None]
    tune = np.arange(labels.size) % 2 == 0
    bias = fit_class_bias(logits[tune], labels[tune])
    before = selection_score(logits[~tune], labels[~tune], 5)
    after = selection_score(logits[~tune] + bias, labels[~tune], 5)
    assert after > before + 0.05
    # it undoes the head preference: the bias falls with the count
    assert np.corrcoef(bias, np.log(PI))[0, 1] < -0.9
    # a class without tuning images keeps bias 0
    bias = fit_class_bias(logits[labels != 4], labels[labels != 4])
    assert bias[4] == 0


def test_temperature_recovers_the_scale_of_overconfident_logits():
    world = Gaussians(seed=3)
    labels = world.rng.choice(5, size=4000, p=PI)  # the training mix
    logits = world.logits(world.draw(labels), PI)
    assert fit_temperature(logits, labels) == pytest.approx(1.0, abs=0.1)
    assert fit_temperature(3 * logits, labels) == pytest.approx(3.0,
                                                                rel=0.1)


# ------------------------------------------------------------- prior shift
def test_em_recovers_a_known_prior():
    world = Gaussians(seed=4, spread=3.0)
    target = profile_weights(COUNTS, 'reversed')
    labels = world.rng.choice(5, size=5000, p=target)
    probs = softmax(world.logits(world.draw(labels), PI), axis=1)
    estimate, steps = em_prior(probs, PI)
    truth = np.bincount(labels, minlength=5) / labels.size
    assert np.abs(estimate - truth).max() < 0.03
    assert 1 < steps < 1000
    # adjusting by the estimate beats the unadjusted model at that mix
    logits = np.log(probs)
    plain = np.mean(logits.argmax(1) == labels)
    shifted = logits + prior_shift_bias(PI, estimate)
    assert np.mean(shifted.argmax(1) == labels) > plain


def test_profiles_and_resampling():
    assert np.allclose(profile_weights(COUNTS, 'uniform'), 0.2)
    assert np.allclose(profile_weights(COUNTS, 'train'), PI)
    reversed_ = profile_weights([10, 40, 20], 'reversed')
    assert np.allclose(reversed_ * 70, [40, 10, 20])
    labels = np.repeat(np.arange(3), [50, 30, 20])
    chosen = resample_to_profile(labels, [0.5, 0.25, 0.25], seed=0)
    assert np.unique(chosen).size == chosen.size  # no replacement
    assert np.bincount(labels[chosen]).tolist() == [40, 20, 20]
    assert np.bincount(labels[resample_to_profile(
        labels, [1, 1, 1], size=30)]).tolist() == [10, 10, 10]
    with pytest.raises(ValueError, match='more than the 60 images'):
        resample_to_profile(labels, [1, 1, 1], size=61)
    with pytest.raises(ValueError, match='profile=.odd.'):
        profile_weights(COUNTS, 'odd')
    with pytest.raises(ValueError, match=r'classes \[3\] have a positive'):
        resample_to_profile(labels, [1, 1, 1, 1])


@pytest.mark.parametrize('text, message', [
    ('0.5\n0.5\n', r'2 weights but there are 3 classes'),
    ('0.2\nabc\n0.5\n', r'line 2: .abc. is not a number'),
    ('0.2\n-1\n0.5\n', r'line 2: weight -1.0 must be finite and >= 0'),
    ('cat,1\ndog,2\nbird,3\nfish,1\n', r"line 4: unknown class 'fish'"),
    ('cat,1\ncat,2\n', r"line 2: class 'cat' given twice"),
    ('cat,1\ndog,2\n', r"no weight for classes \['bird'\]"),
    ('0\n0\n0\n', 'the weights sum to 0'),
])
def test_bad_prior_files_are_named(tmp_path, text, message):
    path = tmp_path / 'prior.txt'
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_prior_file(str(path), ['cat', 'dog', 'bird'])


def test_prior_files_plain_and_named(tmp_path):
    plain = tmp_path / 'plain.txt'
    plain.write_text('# deployment mix\n1\n1\n2\n')
    assert np.allclose(read_prior_file(str(plain), 'abc'), [.25, .25, .5])
    named = tmp_path / 'named.csv'
    named.write_text('class,weight\nc,2\na,1\nb,1\n')
    assert np.allclose(read_prior_file(str(named), 'abc'), [.25, .25, .5])
    with pytest.raises(FileNotFoundError, match='does not exist'):
        read_prior_file(str(tmp_path / 'none.txt'), 'abc')


# --------------------------------------------------------- advice, overall
def _inputs(seed=0, per_class=60, groups=True, drop_class=None):
    world = Gaussians(seed=seed)
    labels = np.repeat(np.arange(5), per_class)
    if drop_class is not None:
        labels = labels[labels != drop_class]
    logits = world.logits(world.draw(labels), PI) + np.log(PI)[None]
    group = (np.arange(labels.size) % 3 == 0).astype(int) if groups \
        else None
    return AdviceInputs(
        logits=logits, labels=labels, class_counts=COUNTS,
        classes=('a', 'b', 'c', 'd', 'e'), source='synthetic logits',
        groups=group, tau_norm_reason='logits only',
        head=HeadSettings('LTLinearClsHead', True, logit_adjust_tau=0.5))


def test_advice_recommends_a_fix_beyond_the_noise():
    advice = advise(_inputs(), AdviceOptions(num_resamples=300,
                                             lift_group=1))
    keys = [r.key for r in advice.results]
    assert keys == ['logit_adjust', 'tau_norm', 'class_bias', 'group_bias',
                    'temperature']
    assert advice.results[1].candidate.skipped == 'logits only'
    best = advice.recommended
    assert best is not None and best.key in ('logit_adjust', 'class_bias')
    change = best.changes['balanced_accuracy']
    assert change.verdict == 'helps'
    assert change.delta == max(
        r.changes['balanced_accuracy'].delta for r in advice.results
        if r.changes and r.changes['balanced_accuracy'].verdict == 'helps')
    # the config adds to what the head already does
    la = advice.results[0]
    assert la.config_change == dict(model=dict(head=dict(
        logit_adjust_tau=round(0.5 + la.params, 6))))
    # a per-group bias leaves the other group's images as they were
    group = advice.results[3]
    assert group.changes['group_0'].delta == 0
    # temperature scaling changes no prediction
    assert advice.results[4].changes['balanced_accuracy'].delta == 0
    assert advice.calibration is not None
    table = format_table(advice)
    assert '(recommended)' in table and 'not tried: logits only' in table


def test_no_recommendation_when_nothing_is_beyond_the_noise():
    world = Gaussians(seed=5)
    labels = np.repeat(np.arange(5), 40)
    logits = world.logits(world.draw(labels), np.full(5, 0.2))
    inputs = AdviceInputs(logits=logits, labels=labels,
                          class_counts=np.full(5, 100), classes=tuple('abcde'),
                          source='balanced', head=None,
                          tau_norm_reason='logits only')
    advice = advise(inputs, AdviceOptions(num_resamples=300))
    assert advice.recommended is None


def test_unscored_classes_are_named_and_the_rest_scored():
    advice = advise(_inputs(drop_class=2), AdviceOptions(num_resamples=200))
    assert advice.unscored_classes == ['c']
    ba = advice.results[0].changes['balanced_accuracy']
    assert ba.has_interval


def test_too_few_images_give_no_interval_and_no_recommendation():
    advice = advise(_inputs(per_class=3),
                    AdviceOptions(num_parts=3, num_resamples=100,
                                  min_images=20))
    ba = advice.results[0].changes['balanced_accuracy']
    assert not ba.has_interval and 'too few images' in ba.reason
    assert advice.recommended is None


def test_a_lift_group_that_does_not_occur_names_the_groups():
    with pytest.raises(ValueError, match=r'groups that occur are \[0, 1\]'):
        advise(_inputs(), AdviceOptions(lift_group=7))
    with pytest.raises(ValueError, match='carry no group_id'):
        check_lift_group(1, None)


def test_a_target_prior_adds_the_prior_shift_and_its_metric():
    target = profile_weights(COUNTS, 'reversed')
    advice = advise(_inputs(), AdviceOptions(
        num_resamples=200, target_prior=target, prior_source='known'))
    assert advice.selection_metric == 'target_top1'
    shift = advice.results[-1]
    assert shift.key == 'prior_shift' and not shift.part_params
    assert np.allclose(shift.params, np.log(target) - np.log(PI))
    assert 'target_top1' in shift.changes
    with pytest.raises(ValueError, match='target prior has 2 weights'):
        advise(_inputs(), AdviceOptions(target_prior=np.ones(2)))


def test_ready_config_inherits_and_applies_the_change(tmp_path):
    from mmengine.config import Config
    base = tmp_path / 'base.py'
    base.write_text("model = dict(head=dict(type='X', num_classes=3, "
                    "group_logit_bias={0: [1, 1, 1]}))\nlr = 1\n")
    text = ready_config_text(
        str(base), dict(model=dict(head=dict(group_logit_bias={
            0: [1, 1, 1], 1: [0.5, -0.5, 0.0]}))), ['a header'],
        {'lr': 2})
    path = tmp_path / 'advised.py'
    path.write_text(text)
    cfg = Config.fromfile(str(path))
    assert cfg.lr == 2 and cfg.model.head.type == 'X'
    assert cfg.model.head.group_logit_bias[1] == [0.5, -0.5, 0.0]
    assert text.startswith('# a header\n')


def test_deployment_images_from_a_folder_or_a_csv(tmp_path):
    from mmlt.analysis.advice.deployment_images import (deployment_logits,
                                                         image_paths)
    folder = tmp_path / 'images'
    (folder / 'sub').mkdir(parents=True)
    for name in ('b.png', 'sub/a.JPG', 'notes.txt'):
        (folder / name).write_bytes(b'x')
    assert image_paths(str(folder)) == [str(folder / 'b.png'),
                                        str(folder / 'sub' / 'a.JPG')]
    listed = tmp_path / 'deploy.csv'
    listed.write_text('filename\nimages/b.png\n/abs/c.png\n')
    assert image_paths(str(listed)) == [str(tmp_path / 'images' / 'b.png'),
                                        '/abs/c.png']
    with pytest.raises(ValueError, match='no "filename" column'):
        (tmp_path / 'bad.csv').write_text('name\nx.png\n')
        image_paths(str(tmp_path / 'bad.csv'))
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'notes.txt').write_text('no image')
    with pytest.raises(ValueError, match='holds no image file'):
        image_paths(str(tmp_path / 'empty'))
    # a CSV of probabilities needs no model
    probs = tmp_path / 'probs.csv'
    probs.write_text('p_a,p_b\n0.25,0.75\n0.5,0.5\n')
    assert np.allclose(deployment_logits(str(probs), 'ab'),
                       np.log([[0.25, 0.75], [0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"missing for \['p_c'\]"):
        deployment_logits(str(probs), 'abc')
    with pytest.raises(ValueError, match='images need a checkpoint'):
        deployment_logits(str(folder), 'ab')
