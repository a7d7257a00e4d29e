import copy

import pytest
import torch

from mmlt.models.classifiers import GroupRoutedEnsemble, parse_routes
from mmlt.registry import MODELS
from .ensemble_helpers import (batch, classifier, scores_of,
                               set_constant_scores, standalone_scores)


def build(routes, fallback='generalist', members=None):
    members = members or [
        dict(name='specialist', model=classifier(mean=77.85, std=95.85)),
        dict(name='generalist', model=classifier()),
    ]
    return MODELS.build(
        dict(type='GroupRoutedEnsemble', members=members, routes=routes,
             fallback=fallback)).eval()


def test_group_1_goes_to_the_specialist_others_to_the_fallback():
    ensemble = build({1: 'specialist'})
    p_spec = set_constant_scores(ensemble.members['specialist'],
                                 [3.] + [0.] * 9)
    p_gen = set_constant_scores(ensemble.members['generalist'],
                                [0.] * 9 + [3.])
    groups = [0, 1, 2, 1, 0, 1]
    with torch.no_grad():
        outputs = ensemble.test_step(batch(groups))
    for out, group in zip(outputs, groups):
        expected = p_spec if group == 1 else p_gen
        torch.testing.assert_close(out.pred_score, expected)
        assert out.pred_label.item() == (0 if group == 1 else 9)
        assert out.group_id == group


def test_routed_scores_equal_each_members_own_predictions():
    """With real weights: rows of group 1 are the specialist's prediction
    of those images (with its own normalisation), the rest the fallback's;
    the two members disagree on every image."""
    ensemble = build({'1': 'specialist'})  # keys from --cfg-options
    groups = [1, 0, 0, 1, 2]
    data = batch(groups, seed=3)
    with torch.no_grad():
        routed = scores_of(ensemble.test_step(copy.deepcopy(data)))
    spec_cfg, gen_cfg = classifier(77.85, 95.85), classifier()
    spec = standalone_scores(
        spec_cfg, ensemble.members['specialist'].state_dict(), data)
    gen = standalone_scores(
        gen_cfg, ensemble.members['generalist'].state_dict(), data)
    assert ((spec - gen).abs().amax(1) > 1e-6).all()
    is_one = torch.tensor(groups) == 1
    torch.testing.assert_close(routed[is_one], spec[is_one])
    torch.testing.assert_close(routed[~is_one], gen[~is_one])
    # a stacked batch (default_collate) is routed the same way
    stacked = dict(inputs=torch.stack(data['inputs']),
                   data_samples=copy.deepcopy(data['data_samples']))
    with torch.no_grad():
        torch.testing.assert_close(scores_of(ensemble.test_step(stacked)),
                                   routed)


def test_a_batch_of_one_group_uses_one_member():
    ensemble = build({1: 'specialist'})
    p_gen = set_constant_scores(ensemble.members['generalist'],
                                [0., 2.] + [0.] * 8)
    with torch.no_grad():
        scores = ensemble(torch.zeros(2, 3, 32, 32, dtype=torch.uint8),
                          batch([0, 5])['data_samples'])
    torch.testing.assert_close(scores, p_gen.expand(2, -1))


def test_unknown_group_without_fallback_is_named():
    ensemble = build({1: 'specialist', 0: 'generalist'}, fallback=None)
    with pytest.raises(ValueError, match=r'group_id 7 \(sample 2 of the '
                       r'batch\) has no route'):
        ensemble.test_step(batch([0, 1, 7]))


def test_data_without_group_ids_is_refused_naming_the_fix():
    # e.g. PackInputs without algorithm_keys=['group_id']: not all group 0
    ensemble = build({1: 'specialist'})
    with pytest.raises(ValueError, match='GroupRoutedEnsemble needs the '
                       'group_id of every sample, but no sample of the batch '
                       r"has a group_id: keep it with dict\(type="
                       r"'PackInputs', algorithm_keys=\['group_id'\]\)"):
        ensemble.test_step(batch([None, None]))


def test_routes_take_cfg_options_string_keys_as_the_other_group_dicts():
    ensemble = build({'1': 'specialist'})
    assert ensemble.routes == {1: 'specialist'}
    with pytest.raises(ValueError, match="routes key '-1' must be an "
                       'integer group id >= 0'):
        build({'-1': 'specialist'})


def test_samples_need_a_group_id():
    ensemble = build({1: 'specialist'})
    with pytest.raises(ValueError, match='sample 1 of the batch has no '
                       'group_id'):
        ensemble.test_step(batch([0, None]))
    with pytest.raises(ValueError, match='needs the data samples'):
        ensemble(torch.zeros(1, 3, 32, 32))
    data = batch([0])
    data['data_samples'][0].set_field(0.5, 'group_id')
    with pytest.raises(ValueError, match='group_id=0.5 must be one integer'):
        ensemble.test_step(data)


def test_routes_are_checked():
    names = ['specialist', 'generalist']
    with pytest.raises(ValueError, match="goes to 'expert', which is not a "
                       'member'):
        parse_routes({1: 'expert'}, 'generalist', names)
    with pytest.raises(ValueError, match="fallback='other' is not a member"):
        parse_routes({1: 'specialist'}, 'other', names)
    with pytest.raises(ValueError, match=r"\['generalist'\] get no sample"):
        parse_routes({1: 'specialist'}, None, names)
    with pytest.raises(ValueError, match="routes key 'one' must be an "
                       'integer'):
        parse_routes({'one': 'specialist'}, 'generalist', names)
    with pytest.raises(ValueError, match='group 1 is given twice'):
        parse_routes({1: 'specialist', '1': 'generalist'}, None, names)
    assert parse_routes({'2': 'specialist', 1: 'specialist'}, 'generalist',
                        names) == {2: 'specialist', 1: 'specialist'}


def test_members_have_no_weight():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['weight'\]"):
        GroupRoutedEnsemble(
            members=[dict(name='a', model=classifier(), weight=2.)],
            routes={}, fallback='a')


def test_routed_ensembles_do_not_train():
    ensemble = build({1: 'specialist'})
    with pytest.raises(NotImplementedError, match='GroupRoutedEnsemble is '
                       'for testing'):
        ensemble.train_step(batch([0]), optim_wrapper=None)
