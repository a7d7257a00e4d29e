"""Installation script of mmlt (``pip install -e .``)."""
import os.path as osp
from typing import List

from setuptools import find_packages, setup


def read_requirements(path: str) -> List[str]:
    """Read a requirements file, skipping comments and ``-r``/``-c`` lines."""
    here = osp.dirname(osp.abspath(__file__))
    reqs = []
    with open(osp.join(here, path)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


def get_version() -> str:
    scope: dict = {}
    with open(osp.join(osp.dirname(osp.abspath(__file__)), 'mmlt',
                       'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmlt',
    version=get_version(),
    description='Long-tailed and group-imbalanced image classification '
    'for MMPretrain',
    long_description=open('README.md').read()
    if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests',
                                    'benchmarks', 'docs')),
    python_requires='>=3.10',  # torch 2.9, the oldest supported, needs it
    # Ranges, so that installing mmlt keeps a user's own torch; the exact
    # tested versions are in requirements/constraints.txt (`make venv`).
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': read_requirements('requirements/tests.txt'),
        'tensorboard': read_requirements('requirements/tensorboard.txt'),
        'noise': read_requirements('requirements/noise.txt'),
        'deploy': read_requirements('requirements/deploy.txt'),
        'pretrained': read_requirements('requirements/pretrained.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False,
)
