"""Bad input gets a clear error naming the value or file."""
import pytest
import torch
from mmengine.config import Config

from mmlt.deploy.export_run import (ExportOptions, check_options,
                                    export_and_evaluate)
from mmlt.deploy.exportable import ExportError

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.mark.parametrize('field, value, match', [
    ('fmt', 'tflite', "format 'tflite' is not one of"),
    ('calib_strategy', 'sqrt', "calibration strategy 'sqrt'"),
    ('calib_method', 'kl', "calibration method 'kl' is not one of"),
    ('calib_samples', 0, 'calib_samples must be a positive int, got 0'),
    ('test_limit', -3, 'test_limit must be None or a positive int, got -3'),
    ('max_few_shot_drop', -1.0, 'got -1.0'),
])
def test_bad_options(field, value, match):
    with pytest.raises(ValueError, match=match):
        check_options(ExportOptions(**{field: value}))


def test_unknown_format_on_the_command_line(trained, capsys):
    from tools.deployment.export import main
    with pytest.raises(SystemExit) as exit_info:
        main([*trained, '--format', 'tflite'])
    assert exit_info.value.code == 2
    assert "invalid choice: 'tflite'" in capsys.readouterr().err


def test_missing_checkpoint_and_config(trained, tmp_path, capsys):
    from tools.deployment.export import main
    cfg_file, _ = trained
    missing = str(tmp_path / 'epoch_99.pth')
    with pytest.raises(FileNotFoundError, match=f"checkpoint '{missing}'"):
        export_and_evaluate(Config.fromfile(cfg_file), missing,
                            str(tmp_path / 'out'), ExportOptions())
    assert main([cfg_file, missing, '--format', 'onnx', '--out',
                 str(tmp_path / 'out')]) == 2
    assert missing in capsys.readouterr().err
    with pytest.raises(SystemExit, match='config nowhere.py does not exist'):
        main(['nowhere.py', missing, '--format', 'onnx'])


def test_head_that_cannot_be_exported(trained, tmp_path):
    """GroupMultiTaskHead's predict adds the group prediction to each data
    sample: not a scores tensor (export its main head first)."""
    from mmpretrain.registry import MODELS
    cfg_file, _ = trained
    cfg = Config.fromfile(cfg_file)
    cfg.model.head = dict(type='GroupMultiTaskHead', head=dict(cfg.model.head),
                          num_groups=2)
    model = MODELS.build(dict(cfg.model,
                              data_preprocessor=cfg.data_preprocessor))
    ckpt = str(tmp_path / 'group_head.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    with pytest.raises(ExportError, match='head GroupMultiTaskHead cannot '
                       'be exported'):
        export_and_evaluate(cfg, ckpt, str(tmp_path / 'out'),
                            ExportOptions())
    assert not (tmp_path / 'out' / 'model.onnx').exists()


def test_ensemble_is_refused_naming_its_members(trained, tmp_path):
    cfg_file, ckpt = trained
    cfg = Config.fromfile(cfg_file)
    cfg.model = dict(type='ScoreEnsemble', members=[
        dict(name='seed0', config=cfg_file, checkpoint=ckpt),
        dict(name='seed1', config=cfg_file, checkpoint=ckpt),
    ])
    with pytest.raises(ExportError, match=r'ScoreEnsemble is an ensemble of '
                       r'2 models.*Export each member.*seed0: config '):
        export_and_evaluate(cfg, ckpt, str(tmp_path), ExportOptions())


def test_test_pipeline_step_that_cannot_be_exported(trained, tmp_path):
    cfg_file, ckpt = trained
    cfg = Config.fromfile(cfg_file)
    cfg.test_dataloader.dataset.pipeline.insert(
        1, dict(type='RandomFlip', prob=0.5))
    with pytest.raises(ValueError, match=r'step 1 \(RandomFlip\) cannot be '
                       'exported'):
        export_and_evaluate(cfg, ckpt, str(tmp_path), ExportOptions())


def test_fp16_needs_cuda(trained, tmp_path):
    if torch.cuda.is_available():
        pytest.skip('this machine has CUDA')
    with pytest.raises(RuntimeError, match='fp16 needs a CUDA device'):
        export_and_evaluate(Config.fromfile(trained[0]), trained[1],
                            str(tmp_path), ExportOptions(fmt='fp16'))
