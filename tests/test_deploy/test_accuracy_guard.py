"""The few-shot guard fails on a model that loses a tail class."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmlt.deploy.accuracy_guard import (check_max_drop, few_shot_guard,
                                        long_tail_metrics)
from mmlt.deploy.data import build_loaded_dataset, reference_inputs
from mmlt.deploy.exportable import (ScoresModule, build_classifier,
                                    training_class_counts)
from mmlt.deploy.preprocess import split_loading

pytestmark = pytest.mark.usefixtures('one_thread')
TAIL = 9  # digits-LT's rarest class (13 training images)


def _metrics(model, cfg, counts, with_scores=False):
    _, transforms = split_loading(cfg.test_dataloader.dataset.pipeline)
    test = build_loaded_dataset(cfg.test_dataloader.dataset, [])
    items = [test[i] for i in range(len(test))]
    x = reference_inputs([it['img'] for it in items], transforms,
                         model.data_preprocessor)
    with torch.no_grad():
        scores = ScoresModule(model).eval()(x).numpy()
    labels = [it['gt_label'] for it in items]
    metrics = long_tail_metrics(scores, labels,
                                [it['group_id'] for it in items], counts,
                                [str(i) for i in range(10)])
    return (metrics, scores, labels) if with_scores else metrics


def test_guard_fails_when_a_tail_class_is_lost(trained):
    cfg_file, ckpt = trained
    cfg = Config.fromfile(cfg_file)
    model = build_classifier(cfg, ckpt)
    counts = training_class_counts(model)
    assert counts[TAIL] < 20  # a few-shot class
    reference, ref_scores, labels = _metrics(model, cfg, counts, True)
    assert reference['per_class_recall'][TAIL] > 20
    # the same model; passes its own guard at zero tolerance
    same = few_shot_guard(reference, reference, 0.0, list('0123456789'))
    assert same.passed and same.drop == 0 and same.losers == []
    # negate the tail class's classifier row: it is never predicted
    with torch.no_grad():
        model.head.fc.weight[TAIL].neg_()
        model.head.fc.bias[TAIL] -= 100
    broken, scores, _ = _metrics(model, cfg, counts, True)
    assert broken['per_class_recall'][TAIL] == 0
    guard = few_shot_guard(reference, broken, 2.0, list('0123456789'),
                           labels, ref_scores, scores, counts)
    assert not guard.passed
    assert guard.metric == 'few_shot'
    assert guard.drop == pytest.approx(reference['few_shot'] -
                                       broken['few_shot'])
    assert guard.drop > 2
    # beyond the threshold and beyond the noise: the interval of the
    # change lies below 0
    assert guard.beyond_threshold and guard.beyond_noise
    assert guard.change.delta == pytest.approx(-guard.drop)
    assert guard.losers[0][0] == str(TAIL)
    message = guard.message('ONNX int8')
    assert 'EXCEEDS' in message and f'{TAIL} ' in message
    assert 'beyond the allowed 2' in message
    assert 'excludes 0: beyond the noise' in message
    # a threshold above the drop lets it pass
    assert few_shot_guard(reference, broken, guard.drop + 0.1,
                          list('0123456789'), labels, ref_scores, scores,
                          counts).passed
    # without per-image scores the threshold alone decides, and says so
    alone = few_shot_guard(reference, broken, 2.0, list('0123456789'))
    assert not alone.passed and alone.change is None
    assert 'the threshold alone decides' in alone.message('ONNX int8')


class _LoseTail:
    """An ONNX Runtime session whose scores never favour the tail class."""

    def __init__(self, session):
        self.session = session

    def run(self, names, feed):
        out = self.session.run(names, feed)
        out[0][:, TAIL] = 0
        return out

    def __getattr__(self, name):
        return getattr(self.session, name)


def test_tool_exits_non_zero_and_names_the_class(trained, tmp_path,
                                                 monkeypatch, capsys):
    from mmlt.deploy import export_run
    from tools.deployment.export import main
    real = export_run.create_session
    monkeypatch.setattr(export_run, 'create_session',
                        lambda path, *a, **k: _LoseTail(real(path, *a, **k)))
    cfg_file, ckpt = trained
    code = main([cfg_file, ckpt, '--format', 'onnx', '--out',
                 str(tmp_path), '--speed-repeats', '1'])
    err = capsys.readouterr().err
    assert code == 1
    assert 'ONNX fp32: few-shot accuracy' in err and 'EXCEEDS' in err
    assert f'lost most: {TAIL} ' in err
    assert (tmp_path / 'report.md').is_file()


def test_one_image_of_a_six_image_class_does_not_fail_the_export():
    """8 few-shot classes of 6 test images, all right; the export gets one
    image wrong: few-shot -2.08 points, beyond the allowed 2 but within
    the noise (the interval of the change contains 0), so it passes."""
    classes = [str(c) for c in range(8)]
    counts = np.full(8, 10)  # every class few-shot (< 20 training images)
    labels = np.repeat(np.arange(8), 6)
    ref_scores = np.eye(8)[labels]
    new_scores = ref_scores.copy()
    new_scores[0] = np.eye(8)[1]  # one image of class 0 lost
    groups = [0] * labels.size
    reference = long_tail_metrics(ref_scores, labels, groups, counts,
                                  classes)
    candidate = long_tail_metrics(new_scores, labels, groups, counts,
                                  classes)
    guard = few_shot_guard(reference, candidate, 2.0, classes, labels,
                           ref_scores, new_scores, counts)
    assert guard.drop == pytest.approx(100 / 6 / 8)  # 2.08 points
    assert guard.beyond_threshold and guard.beyond_noise is False
    assert guard.change.low < 0 <= guard.change.high
    assert guard.passed
    message = guard.message('ONNX int8')
    assert 'beyond the allowed 2' in message
    assert 'contains 0: within the noise' in message
    assert message.endswith('passes. Classes that lost most: 0 100.0 -> '
                            '83.3')
    # the threshold alone (no per-image scores) would have failed it
    assert not few_shot_guard(reference, candidate, 2.0, classes).passed


@pytest.mark.parametrize('bad', [-1, 'two', None, float('nan'), True])
def test_max_drop_is_validated(bad):
    with pytest.raises(ValueError, match='max few-shot drop'):
        check_max_drop(bad)


def test_no_few_shot_class_guards_balanced_accuracy():
    ref = dict(few_shot=float('nan'), balanced_accuracy=80.0,
               per_class_recall=[80.0, 80.0])
    new = dict(few_shot=float('nan'), balanced_accuracy=77.0,
               per_class_recall=[80.0, 74.0])
    guard = few_shot_guard(ref, new, 2.0, ['a', 'b'])
    assert guard.metric == 'balanced_accuracy' and not guard.passed
    assert guard.losers == [('b', 80.0, 74.0)]
    assert np.isclose(guard.drop, 3.0)
