"""``default_hooks=dict(<key>=None)`` removes any hook, as MMEngine documents.

MMEngine's ``Runner.register_default_hooks`` says a None value pops the
item, but only does so for its six standard keys; for any other key (mmlt's
``long_tail_context``, ``drw``, ...) it stops on a bare ``assert``. mmlt
registers its hooks in ``default_hooks`` (so that a child config's
``custom_hooks`` cannot drop them), so a child config must be able to remove
one on purpose: the patched method drops every None entry before MMEngine
registers the rest.
"""
import functools
from typing import Any, Callable, Dict, Optional

__all__ = ['drop_disabled_hooks', 'patch_register_default_hooks']

_MARK = '__mmlt_none_hooks_patched__'


def drop_disabled_hooks(hooks: Optional[Dict[str, Any]],
                        keep: Any = ()) -> Optional[Dict[str, Any]]:
    """``hooks`` without its None entries, except the keys in ``keep``
    (MMEngine's standard keys, whose None it already handles)."""
    if hooks is None:
        return None
    return {
        key: hook
        for key, hook in hooks.items() if hook is not None or key in keep
    }


def patch_register_default_hooks() -> None:
    """Patch ``Runner`` and ``FlexibleRunner`` (idempotent)."""
    from mmengine.runner import FlexibleRunner, Runner
    standard = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                'param_scheduler', 'checkpoint')
    for cls in (Runner, FlexibleRunner):
        original: Callable = cls.register_default_hooks
        if getattr(original, _MARK, False):
            continue

        @functools.wraps(original)
        def register_default_hooks(self: Any,
                                   hooks: Optional[Dict[str, Any]] = None,
                                   _original: Callable = original) -> None:
            return _original(self, drop_disabled_hooks(hooks, standard))

        setattr(register_default_hooks, _MARK, True)
        cls.register_default_hooks = register_default_hooks
