"""mmlt's hooks survive a child's custom_hooks and refuse to run twice."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.engine.hooks import (CheckFiniteLossHook, GroupWeightCurriculumHook,
                               LongTailContextHook)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CURRICULUM = osp.join(ROOT, 'configs', 'losses',
                      'ce-group1-curriculum_convnext-atto_2xb32_digits-lt.py')


def _runner(tmp_path, child_text: str) -> Runner:
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{CURRICULUM!r}]\n' + child_text)
    cfg = Config.fromfile(str(child))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'single_{tmp_path.name}'
    return Runner.from_cfg(cfg)


def _types(runner) -> list:
    return [type(h).__name__ for h in runner.hooks]


def test_child_custom_hooks_do_not_drop_mmlt_hooks(tmp_path):
    runner = _runner(tmp_path, "custom_hooks = [dict(type='EMAHook')]\n")
    types = _types(runner)
    for name in ('LongTailContextHook', 'CheckFiniteLossHook',
                 'GroupWeightCurriculumHook', 'EMAHook'):
        assert types.count(name) == 1, types
    curriculum = next(h for h in runner.hooks
                      if isinstance(h, GroupWeightCurriculumHook))
    assert curriculum.schedule == {0: 1.0, 10: 1.5, 20: 2.0}
    runner.call_hook('before_run')  # one of each: accepted


@pytest.mark.parametrize('hook, key', [
    (LongTailContextHook, 'long_tail_context'),
    (CheckFiniteLossHook, 'check_finite_loss'),
    (GroupWeightCurriculumHook, 'group_weight_curriculum'),
])
def test_old_style_duplicate_in_custom_hooks_is_refused(tmp_path, hook, key):
    extra = "schedule={0: 1.0}" if hook is GroupWeightCurriculumHook else ''
    runner = _runner(
        tmp_path,
        f"custom_hooks = [dict(type='{hook.__name__}', {extra})]\n")
    assert _types(runner).count(hook.__name__) == 2
    with pytest.raises(ValueError,
                       match=rf"{hook.__name__} is registered 2 times.*"
                       rf"default_hooks\['{key}'\].*remove"):
        runner.call_hook('before_run')


def test_removing_a_hook_explicitly(tmp_path):
    runner = _runner(tmp_path, 'default_hooks = dict('
                     'group_weight_curriculum=None)\n')
    assert 'GroupWeightCurriculumHook' not in _types(runner)
    assert 'LongTailContextHook' in _types(runner)


def test_drop_disabled_hooks_keeps_mmengine_standard_none():
    from mmlt.utils.default_hooks_compat import drop_disabled_hooks
    assert drop_disabled_hooks(
        dict(timer=None, drw=None, logger=dict(type='LoggerHook')),
        keep=('timer', )) == dict(timer=None, logger=dict(type='LoggerHook'))
    assert drop_disabled_hooks(None) is None
