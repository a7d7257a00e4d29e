import copy
import os.path as osp

import pytest
import torch

from mmlt.models.classifiers import ScoreEnsemble
from mmlt.registry import MODELS
from mmlt.utils import (UntrustedCheckpointError, is_trusted_checkpoint,
                        trusted_checkpoint_dirs)
from .ensemble_helpers import (DEMO, batch, classifier,
                               save_mmengine_checkpoint, scores_of,
                               set_constant_scores, standalone_scores)


def build(members, **kwargs):
    return MODELS.build(
        dict(type='ScoreEnsemble', members=members, **kwargs)).eval()


def test_one_member_equals_the_member():
    model_cfg = classifier(mean=77.85, std=95.85)
    ensemble = build([dict(name='only', model=model_cfg)])
    data = batch([0, 1, 0, 2])
    with torch.no_grad():
        outputs = ensemble.test_step(copy.deepcopy(data))
    expected = standalone_scores(model_cfg,
                                 ensemble.members['only'].state_dict(), data)
    torch.testing.assert_close(scores_of(outputs), expected, rtol=0,
                               atol=1e-7)
    # DataSamples as ImageClassifier's: the argmax as pred_label, the
    # sample's own fields kept
    for out, sample in zip(outputs, data['data_samples']):
        assert out.pred_label.item() == out.pred_score.argmax().item()
        assert out.gt_label == sample.gt_label
        assert out.group_id == sample.group_id


def test_two_members_average_and_weights_are_honoured():
    ensemble = build([
        dict(name='a', model=classifier()),
        dict(name='b', model=classifier(), weight=3.0),
    ])
    p_a = set_constant_scores(ensemble.members['a'], [4.] + [0.] * 9)
    p_b = set_constant_scores(ensemble.members['b'], [0., 0., 0., 3., 0.,
                                                      0., 0., 0., 0., 0.])
    with torch.no_grad():
        scores = scores_of(ensemble.test_step(batch([0, 0, 1])))
    expected = (1. * p_a + 3. * p_b) / 4.
    torch.testing.assert_close(scores, expected.expand(3, -1))
    # by hand for class 0: member a puts e^4/(e^4+9) there, b 1/(e^3+9)
    e = torch.e
    hand = (e**4 / (e**4 + 9) + 3 * 1 / (e**3 + 9)) / 4
    assert scores[0, 0].item() == pytest.approx(hand, rel=1e-6)
    assert (scores.argmax(1) == 3).all()  # b's class wins with weight 3

    # equal weights: a's class 0 wins
    ensemble.weights.fill_(1.)
    with torch.no_grad():
        scores = scores_of(ensemble.test_step(batch([0])))
    torch.testing.assert_close(scores[0], (p_a + p_b) / 2)
    assert scores.argmax().item() == 0


def test_members_normalise_with_their_own_preprocessors():
    cfg_a, cfg_b = classifier(0., 1.), classifier(120., 60.)
    ensemble = build([
        dict(name='a', model=cfg_a, weight=1.0),
        dict(name='b', model=cfg_b, weight=2.0),
    ])
    data = batch([0, 1, 0])
    with torch.no_grad():
        scores = scores_of(ensemble.test_step(copy.deepcopy(data)))
    state_a = ensemble.members['a'].state_dict()
    state_b = ensemble.members['b'].state_dict()
    s_a = standalone_scores(cfg_a, state_a, data)
    s_b = standalone_scores(cfg_b, state_b, data)
    torch.testing.assert_close(scores, (s_a + 2 * s_b) / 3)
    # and the preprocessing matters: b's weights with a's normalisation
    # score differently
    assert not torch.allclose(standalone_scores(cfg_a, state_b, data), s_b,
                              atol=1e-6)
    # a stacked batch (default_collate) gives the same scores
    stacked = dict(inputs=torch.stack(data['inputs']),
                   data_samples=copy.deepcopy(data['data_samples']))
    with torch.no_grad():
        torch.testing.assert_close(
            scores_of(ensemble.test_step(stacked)), scores)
        assert ensemble(torch.stack(data['inputs'])).shape == (3, 10)


def test_a_normalising_data_preprocessor_is_refused():
    members = [dict(model=classifier())]
    with pytest.raises(ValueError, match='data_preprocessor = None'):
        build(members, data_preprocessor=dict(mean=[0.], std=[1.]))
    with pytest.raises(ValueError, match='ClsDataPreprocessor'):
        build(members, data_preprocessor=dict(type='ClsDataPreprocessor'))
    build(members, data_preprocessor=dict(type='BaseDataPreprocessor'))


def test_ensembles_do_not_train():
    ensemble = build([dict(model=classifier())])
    data = batch([0, 1])
    for call in (lambda: ensemble.train_step(data, optim_wrapper=None),
                 lambda: ensemble(torch.zeros(1, 3, 32, 32), mode='loss')):
        with pytest.raises(NotImplementedError,
                           match='ScoreEnsemble is for testing'):
            call()
    with pytest.raises(ValueError, match="mode='features'"):
        ensemble(torch.zeros(1, 3, 32, 32), mode='features')


def test_member_checkpoints_load_under_the_trust_policy(tmp_path):
    source = MODELS.build(classifier())
    path = save_mmengine_checkpoint(source, str(tmp_path / 'epoch_1.pth'))
    assert not is_trusted_checkpoint(path)
    # an mmengine checkpoint (message hub HistoryBuffers, numpy) from
    # elsewhere loads with weights_only and mmlt's allow-list
    ensemble = build([dict(name='m', model=classifier(), checkpoint=path)])
    for key, value in source.state_dict().items():
        assert torch.equal(ensemble.members['m'].state_dict()[key], value)
    # init_weights (called by Runner.train) keeps the loaded weights
    ensemble.init_weights()
    assert torch.equal(ensemble.members['m'].head.fc.weight,
                       source.head.fc.weight)

    # other pickled objects are refused unless the directory is trusted
    evil = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict=source.state_dict(), extra=Pickled()), evil)
    with pytest.raises(UntrustedCheckpointError, match='Pickled') as info:
        build([dict(name='m', model=classifier(), checkpoint=evil)])
    assert any("member 'm'" in note for note in info.value.__notes__)
    with trusted_checkpoint_dirs(tmp_path):
        build([dict(name='m', model=classifier(), checkpoint=evil)])


class Pickled:
    """A class torch's weights-only unpickler does not allow."""


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    path = save_mmengine_checkpoint(
        MODELS.build(classifier(num_classes=5)), str(tmp_path / 'c.pth'))
    with pytest.raises(RuntimeError, match='size mismatch'):
        build([dict(name='m', model=classifier(), checkpoint=path)])


def test_missing_files_are_named(tmp_path):
    missing = str(tmp_path / 'nowhere' / 'epoch_30.pth')
    with pytest.raises(FileNotFoundError,
                       match=f"member 'fold1'.*{missing}"):
        build([dict(name='fold1', model=classifier(), checkpoint=missing)])
    with pytest.raises(FileNotFoundError, match='no_such_config.py'):
        build([dict(config=str(tmp_path / 'no_such_config.py'))])


@pytest.mark.parametrize('member, message', [
    (dict(model=classifier(), weight=0), 'weight=0 must be a positive'),
    (dict(model=classifier(), weight=-1.), 'weight=-1.0'),
    (dict(model=classifier(), weight=True), 'weight=True'),
    (dict(model=classifier(), weight='2'), "weight='2'"),
    (dict(model=classifier(), strict='yes'), "strict='yes'"),
    (dict(model=classifier(), name='a.b'), "name='a.b'"),
    (dict(model=classifier(), name='keys'), "name 'keys' is taken"),
    (dict(model=classifier(), checkpoint=''), "checkpoint=''"),
    (dict(model=classifier(), ckpt='x.pth'), r"unknown key\(s\) \['ckpt'\]"),
    (dict(name='x'), "member 'x' needs exactly one of 'config'"),
    (dict(model=classifier(), config=DEMO), 'exactly one of'),
    ('model.py', r"members\[0\]='model.py' must be a dict"),
])
def test_bad_members_are_named(member, message):
    with pytest.raises(ValueError, match=message):
        ScoreEnsemble(members=[member])


def test_bad_member_lists():
    with pytest.raises(ValueError, match=r'members=\[\] must be'):
        ScoreEnsemble(members=[])
    with pytest.raises(ValueError, match="name 'a' is used twice"):
        ScoreEnsemble(members=[
            dict(name='a', model=classifier()),
            dict(name='a', model=classifier())
        ])


def test_members_must_agree_on_the_classes():
    ensemble = build([
        dict(name='ten', model=classifier(num_classes=10)),
        dict(name='five', model=classifier(num_classes=5)),
    ])
    with pytest.raises(ValueError, match="'ten': 10, 'five': 5"):
        ensemble.test_step(batch([0]))


def test_a_member_from_a_config_file_keeps_its_data_preprocessor():
    ensemble = build([dict(name='demo', config=DEMO)])
    preprocessor = ensemble.members['demo'].data_preprocessor
    assert type(preprocessor).__name__ == 'ClsDataPreprocessor'
    torch.testing.assert_close(preprocessor.mean.flatten(),
                               torch.full((3, ), 77.85))
    assert type(ensemble.members['demo'].head).__name__ == 'LTLinearClsHead'
    assert type(ensemble.data_preprocessor).__name__ == \
        'BaseDataPreprocessor'


def test_an_ensemble_can_be_a_member():
    inner = dict(type='ScoreEnsemble', members=[
        dict(name='x', model=classifier()),
        dict(name='y', model=classifier())])
    ensemble = build([dict(name='inner', model=inner),
                      dict(name='z', model=classifier(), weight=2.)])
    p = [set_constant_scores(m, logits) for m, logits in (
        (ensemble.members['inner'].members['x'], [1.] + [0.] * 9),
        (ensemble.members['inner'].members['y'], [0., 1.] + [0.] * 8),
        (ensemble.members['z'], [0., 0., 1.] + [0.] * 7))]
    with torch.no_grad():
        scores = scores_of(ensemble.test_step(batch([0])))
    torch.testing.assert_close(scores[0], ((p[0] + p[1]) / 2 + 2 * p[2]) / 3)
    assert osp.isfile(DEMO)
