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


def _metrics(model, cfg, counts):
    _, transforms = split_loading(cfg.test_dataloader.dataset.pipeline)
    test = build_loaded_dataset(cfg.test_dataloader.dataset, [])
    items = [test[i] for i in range(len(test))]
    x = reference_inputs([it['img'] for it in items], transforms,
                         model.data_preprocessor)
    with torch.no_grad():
        scores = ScoresModule(model).eval()(x).numpy()
    return long_tail_metrics(scores, [it['gt_label'] for it in items],
                             [it['group_id'] for it in items], counts,
                             [str(i) for i in range(10)])


def test_guard_fails_when_a_tail_class_is_lost(trained):
    cfg_file, ckpt = trained
    cfg = Config.fromfile(cfg_file)
    model = build_classifier(cfg, ckpt)
    counts = training_class_counts(model)
    assert counts[TAIL] < 20  # a few-shot class
    reference = _metrics(model, cfg, counts)
    assert reference['per_class_recall'][TAIL] > 20
    # the same model; passes its own guard at zero tolerance
    same = few_shot_guard(reference, reference, 0.0, list('0123456789'))
    assert same.passed and same.drop == 0 and same.losers == []
    # negate the tail class's classifier row: it is never predicted
    with torch.no_grad():
        model.head.fc.weight[TAIL].neg_()
        model.head.fc.bias[TAIL] -= 100
    broken = _metrics(model, cfg, counts)
    assert broken['per_class_recall'][TAIL] == 0
    guard = few_shot_guard(reference, broken, 2.0, list('0123456789'))
    assert not guard.passed
    assert guard.metric == 'few_shot'
    assert guard.drop == pytest.approx(reference['few_shot'] -
                                       broken['few_shot'])
    assert guard.drop > 2
    assert guard.losers[0][0] == str(TAIL)
    assert 'EXCEEDS' in guard.message('ONNX int8')
    assert f'{TAIL} ' in guard.message('ONNX int8')
    # a threshold above the drop lets it pass
    assert few_shot_guard(reference, broken, guard.drop + 0.1,
                          list('0123456789')).passed


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
