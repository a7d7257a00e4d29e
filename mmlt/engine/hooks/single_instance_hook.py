"""A hook that refuses to run beside a second copy of itself."""
from typing import ClassVar, Optional

from mmengine.hooks import Hook

__all__ = ['SingleInstanceHook']


class SingleInstanceHook(Hook):
    """Base of mmlt's hooks: at most one instance of each per Runner.

    mmlt's configs register their hooks in ``default_hooks`` (which a child
    config merges into key by key, so a child's ``custom_hooks`` cannot drop
    them). A config written the older way, with the same hook also in
    ``custom_hooks``, would run it twice (counts pushed twice, a schedule
    applied twice); ``before_run`` refuses that, naming the hook and the
    ``default_hooks`` key it belongs to.

    Attributes:
        default_hooks_key: The key under which mmlt's configs register the
            hook in ``default_hooks``.
    """

    default_hooks_key: ClassVar[Optional[str]] = None

    def before_run(self, runner) -> None:
        same = [h for h in runner.hooks if type(h) is type(self)]
        if len(same) > 1 and same[0] is self:
            name = type(self).__name__
            where = (f"default_hooks['{self.default_hooks_key}']"
                     if self.default_hooks_key else 'default_hooks')
            raise ValueError(
                f'{name} is registered {len(same)} times. mmlt configs '
                f'register it once, in {where}, where a child config\'s '
                f'custom_hooks cannot drop it; remove the {name} entry from '
                f'custom_hooks and set its options through {where} (e.g. '
                f"default_hooks=dict({self.default_hooks_key or 'key'}="
                'dict(...)) in the child config).')
