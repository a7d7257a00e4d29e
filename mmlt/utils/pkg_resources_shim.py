"""A minimal ``pkg_resources`` for environments where setuptools lacks it.

setuptools >= 82 removed ``pkg_resources``, but mmengine 0.10.7 still imports
it (lazily) in ``mmengine/utils/package_utils.py`` to resolve config
inheritance such as ``_base_ = 'mmpretrain::_base_/default_runtime.py'``.
That module needs exactly:

* ``get_distribution(name)`` returning an object with ``.location``,
  ``.version``, ``.has_metadata(name)`` and ``.get_metadata(name)``;
* ``DistributionNotFound``;
* surviving ``importlib.reload(pkg_resources)``, which ``is_installed`` calls
  after having bound ``get_distribution`` and before catching
  ``pkg_resources.DistributionNotFound``.

:func:`install_pkg_resources_shim` serves this module through a meta-path
finder, so the module has a real spec and loader and ``importlib.reload`` can
find it again. Re-executing it copies the same function and class objects
back, so an exception raised by a ``get_distribution`` bound before the reload
is still caught by ``except pkg_resources.DistributionNotFound`` after it.
Nothing is installed when the real ``pkg_resources`` can be imported.
"""
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import re
import sys
import types
from typing import Any, Dict, Optional

MODULE_NAME = 'pkg_resources'


class ResolutionError(Exception):
    """Base class of the shim's resolution errors (as in pkg_resources)."""


class DistributionNotFound(ResolutionError):
    """Raised by :func:`get_distribution` for a distribution not installed."""


class Distribution:
    """The subset of ``pkg_resources.Distribution`` that mmengine uses.

    Args:
        dist: The ``importlib.metadata`` distribution it wraps.
    """

    def __init__(self, dist: importlib.metadata.Distribution) -> None:
        self._dist = dist

    @property
    def project_name(self) -> str:
        return self._dist.metadata['Name']

    @property
    def key(self) -> str:
        return self.project_name.lower()

    @property
    def version(self) -> str:
        return self._dist.version

    @property
    def location(self) -> str:
        """The directory holding the ``.dist-info`` (e.g. site-packages)."""
        return str(self._dist.locate_file(''))

    def has_metadata(self, name: str) -> bool:
        return self._dist.read_text(name) is not None

    def get_metadata(self, name: str) -> str:
        return self._dist.read_text(name) or ''

    def __repr__(self) -> str:
        return f'{self.project_name} {self.version} ({self.location})'


def get_distribution(dist: str) -> Distribution:
    """Return the installed distribution named ``dist``.

    A requirement string such as ``'mmcv>=2.0'`` is reduced to its name.

    Raises:
        DistributionNotFound: If no such distribution is installed.
    """
    if isinstance(dist, Distribution):
        return dist
    name = re.split(r'[\s<>=!~;\[(]', str(dist).strip(), maxsplit=1)[0]
    try:
        return Distribution(importlib.metadata.distribution(name))
    except importlib.metadata.PackageNotFoundError:
        raise DistributionNotFound(
            f"The '{dist}' distribution was not found and is required by "
            'the application') from None


def _missing_attribute(name: str) -> Any:
    raise AttributeError(
        f"mmlt's pkg_resources shim has no attribute {name!r}: it only "
        'implements what mmengine needs. Install setuptools<82 for the real '
        'pkg_resources.')


_EXPORTS: Dict[str, Any] = {
    'ResolutionError': ResolutionError,
    'DistributionNotFound': DistributionNotFound,
    'Distribution': Distribution,
    'get_distribution': get_distribution,
    '__getattr__': _missing_attribute,
    '__mmlt_shim__': True,
}


class _ShimLoader(importlib.abc.Loader):
    """Fill the module with the (always identical) shim objects."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # default module creation

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__.update(_EXPORTS)


class _ShimFinder(importlib.abc.MetaPathFinder):
    """Answer imports (and reloads) of ``pkg_resources`` with the shim."""

    def find_spec(
            self,
            fullname: str,
            path: Any = None,
            target: Any = None) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname != MODULE_NAME:
            return None
        return importlib.util.spec_from_loader(
            MODULE_NAME, _LOADER, origin='mmlt-pkg_resources-shim')


_LOADER = _ShimLoader()
_FINDER = _ShimFinder()


def is_shim(module: Any) -> bool:
    """Whether ``module`` is the shim rather than the real pkg_resources."""
    return bool(getattr(module, '__mmlt_shim__', False))


def _real_pkg_resources_available() -> bool:
    """Whether ``import pkg_resources`` finds the real one, without importing
    it (importing it is slow and warns under setuptools 81)."""
    if MODULE_NAME in sys.modules:
        module = sys.modules[MODULE_NAME]
        return module is not None and not is_shim(module)
    try:
        spec = importlib.util.find_spec(MODULE_NAME)
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.loader is not _LOADER


def install_pkg_resources_shim(force: bool = False) -> bool:
    """Make ``import pkg_resources`` work when setuptools no longer ships it.

    Args:
        force: Install the shim even if the real module is importable
            (for tests).

    Returns:
        bool: Whether the shim is now what ``import pkg_resources`` gives.
    """
    if not force and _real_pkg_resources_available():
        return False
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    # ``sys.modules[name] = None`` blocks an import; a real module imported
    # earlier must be dropped for ``force``.
    if MODULE_NAME in sys.modules and not is_shim(sys.modules[MODULE_NAME]):
        del sys.modules[MODULE_NAME]
    return True
