"""Run a tool with the repository's ``.venv`` when the Python that started
it lacks the stack.

``make venv`` (and ``make demo``) install torch, MMEngine, MMPretrain and
mmlt into ``.venv``; a new shell where it is not activated runs
``python tools/train.py`` with the system Python, which has none of them.
:func:`ensure_stack` (called on import, before any tool imports torch) then
starts the tool again with ``.venv/bin/python`` and the same arguments,
saying so on stderr; without a ``.venv`` it stops with a message saying how
to activate or create one.
"""
import importlib.util
import os
import os.path as osp
import sys

__all__ = ['ensure_stack']

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
VENV = osp.join(ROOT, '.venv')
_REEXEC = 'MMLT_TOOLS_REEXEC'  # set on the second start: never loop


STACK = ('torch', 'mmengine', 'mmpretrain', 'mmlt')


def _has_stack() -> bool:
    # find_spec finds a package without importing it (an error inside an
    # installed package is left for the tool's own import to report)
    return all(importlib.util.find_spec(name) is not None for name in STACK)


def ensure_stack() -> None:
    """Return if this Python has torch, MMEngine, MMPretrain and mmlt; otherwise
    run the tool again with ``.venv/bin/python`` or exit with a message."""
    if _has_stack():
        return
    venv_python = osp.join(VENV, 'bin', 'python')
    in_venv = osp.realpath(sys.prefix) == osp.realpath(VENV)
    if osp.isfile(venv_python) and not in_venv and not os.environ.get(
            _REEXEC):
        print(f'{sys.executable} has no torch/MMEngine/MMPretrain/mmlt; running '
              f'{osp.relpath(sys.argv[0])} with {osp.relpath(venv_python)} '
              '(activate it to skip this: source .venv/bin/activate)',
              file=sys.stderr)
        os.environ[_REEXEC] = '1'
        os.execv(venv_python, [venv_python] + sys.argv)
    sys.exit(
        f'{sys.executable} has no torch/MMEngine/MMPretrain/mmlt, and '
        + (f'{venv_python} has not either (run `make venv` again)'
           if in_venv or os.environ.get(_REEXEC) else
           f'there is no {osp.relpath(VENV)} in {ROOT}') +
        '. Create the environment with `make venv` and activate it with '
        '`source .venv/bin/activate`, or install mmlt into this Python '
        '(`pip install -e .`, see README.md "Install").')


ensure_stack()
