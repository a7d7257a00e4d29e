"""mmlt's floors are one-way: every import in mmlt/ points down a floor.

The floors are declared once, in the block of docs/architecture.md between
the ``floors`` markers (bottom to top, one numbered line per floor). A unit
is a folder of mmlt/ or one of its top-level modules (``registry``,
``version``); the package's own ``__init__`` is the top floor. Every import
of every file is checked, including imports inside functions and relative
ones: it may name its own unit, or a unit on a lower floor. Units on the
same floor do not import each other (a floor is a set of independent
folders), so an import between them is reported like an upward one.

Importing any ``mmlt.<unit>`` runs the package's ``__init__`` first (that is
Python's doing and registers every module); what is checked is what a file
names, which is what a reader meets.
"""
import ast
import os
import os.path as osp
import re
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = 'mmlt'
ARCHITECTURE = osp.join(ROOT, 'docs', 'architecture.md')
#: The unit of the package's own ``__init__.py`` (``import mmlt``).
TOP = '__init__'

_BLOCK = re.compile(r'<!-- floors: begin -->(.*?)<!-- floors: end -->',
                    re.S)
_FLOOR_LINE = re.compile(r'^\s*(\d+)\s+(.+?)\s*$')


def read_floors(text: str) -> Dict[str, int]:
    """``{unit: floor}`` from the marked block of ``text``: lines
    ``<floor number> <unit>, <unit>... (a remark)`` numbered 0, 1, 2...
    from the bottom; remarks in parentheses, backquotes and a trailing
    ``.py`` are ignored."""
    match = _BLOCK.search(text)
    if match is None:
        raise ValueError('no <!-- floors: begin --> ... <!-- floors: end '
                         '--> block')
    floors: Dict[str, int] = {}
    numbers = []
    for line in match.group(1).splitlines():
        found = _FLOOR_LINE.match(line)
        if not found:
            continue
        number = int(found.group(1))
        numbers.append(number)
        names = re.sub(r'\(.*?\)', '', found.group(2)).replace('`', '')
        for unit in re.split(r'[,\s]+', names):
            unit = unit.strip()
            unit = unit[:-3] if unit.endswith('.py') else unit
            if unit:
                if unit in floors:
                    raise ValueError(f'{unit} is on two floors')
                floors[unit] = number
    if numbers != list(range(len(numbers))) or not numbers:
        raise ValueError(f'floors must be numbered 0, 1, 2... from the '
                         f'bottom, got {numbers}')
    return floors


def unit_of(module: str) -> Optional[str]:
    """The unit a dotted module name belongs to; None outside mmlt."""
    parts = module.split('.')
    if parts[0] != PACKAGE:
        return None
    return parts[1] if len(parts) > 1 else TOP


def _module_name(path: str) -> Tuple[str, bool]:
    """Dotted name of a file under the repository root, and whether it is a
    package's ``__init__``."""
    rel = osp.relpath(path, ROOT) if osp.isabs(path) else path
    parts = rel[:-len('.py')].replace(os.sep, '/').split('/')
    if parts[-1] == '__init__':
        return '.'.join(parts[:-1]), True
    return '.'.join(parts), False


def imported_modules(path: str,
                     source: str) -> Iterator[Tuple[int, str, str]]:
    """``(line, imported module, statement)`` of every import in
    ``source`` (any depth; relative ones resolved against ``path``). An
    ``from <package> import <name>`` yields ``<package>.<name>``, so that
    ``from mmlt import datasets`` counts as an import of ``datasets``."""
    module, is_package = _module_name(path)
    package = module if is_package else module.rpartition('.')[0]
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source, filename=path)):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        statement = lines[node.lineno - 1].strip()
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, statement
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - (node.level - 1)]
                target = '.'.join(base + ([node.module] if node.module
                                          else []))
            else:
                target = node.module or ''
            for alias in node.names:
                yield node.lineno, f'{target}.{alias.name}', statement


def floor_violations(path: str, source: str,
                     floors: Dict[str, int]) -> List[str]:
    """``file:line: ...`` for each import of ``source`` (the file ``path``,
    relative to the repository root) that names a unit above its own
    floor, or another unit on its own floor."""
    own = unit_of(_module_name(path)[0])
    found = []
    for line, target, statement in sorted(imported_modules(path, source)):
        unit = unit_of(target)
        if unit is None or unit == own:
            continue
        if unit not in floors:
            # ``from mmlt import name``: a name of the package itself
            unit = TOP
        if floors[unit] > floors[own]:
            why = f'up from floor {floors[own]} to floor {floors[unit]}'
        elif floors[unit] == floors[own]:
            why = f'across floor {floors[own]}'
        else:
            continue
        message = (f'{path}:{line}: {own} imports {unit} ({why}): '
                   f'{statement}')
        if message not in found:  # one line per statement and unit
            found.append(message)
    return found


def package_files() -> List[str]:
    """Every .py file of mmlt/, relative to the repository root."""
    files = []
    for folder, _, names in os.walk(osp.join(ROOT, PACKAGE)):
        files += [
            osp.relpath(osp.join(folder, n), ROOT) for n in names
            if n.endswith('.py')
        ]
    return sorted(files)


@pytest.fixture(scope='module')
def floors() -> Dict[str, int]:
    with open(ARCHITECTURE, encoding='utf-8') as f:
        return read_floors(f.read())


def test_every_unit_is_on_exactly_one_floor(floors):
    units = {TOP} | {
        name[:-3] if name.endswith('.py') else name
        for name in os.listdir(osp.join(ROOT, PACKAGE))
        if (name.endswith('.py') and name != '__init__.py') or
        osp.isfile(osp.join(ROOT, PACKAGE, name, '__init__.py'))
    }
    assert set(floors) == units
    assert floors[TOP] == max(floors.values())


def test_no_import_points_up_a_floor(floors):
    found = []
    for path in package_files():
        with open(osp.join(ROOT, path), encoding='utf-8') as f:
            found += floor_violations(path, f.read(), floors)
    assert not found, '\n'.join(found)


def test_an_upward_import_is_reported():
    """The check itself: upward and same-floor imports, at any depth and
    relative or absolute, are reported with file and line; downward ones
    and imports within a unit are not."""
    floors = read_floors('<!-- floors: begin -->\n0 `registry.py`\n'
                         '1 structures\n2 datasets\n3 cam, deploy\n'
                         '4 __init__\n<!-- floors: end -->')
    source = ('from mmlt.registry import MODELS\n'
              'from . import group_id\n'
              'def count(dataset):\n'
              '    from mmlt.datasets.label_utils import get_labels\n'
              '    return get_labels(dataset)\n'
              'from ..datasets import label_utils\n'
              'import mmlt\n'
              'from mmlt import datasets\n'
              'from mmlt import registry\n')
    found = floor_violations('mmlt/structures/fake.py', source, floors)
    assert [f.split(': ')[0] for f in found] == [
        'mmlt/structures/fake.py:4', 'mmlt/structures/fake.py:6',
        'mmlt/structures/fake.py:7', 'mmlt/structures/fake.py:8'
    ]
    assert 'structures imports datasets (up from floor 1 to floor 2)' \
        in found[0]
    assert 'get_labels' in found[0]
    across = floor_violations('mmlt/cam/fake.py',
                              'from ..deploy import session\n', floors)
    assert across == ['mmlt/cam/fake.py:1: cam imports deploy (across '
                      'floor 3): from ..deploy import session']
    assert floor_violations('mmlt/deploy/sub/__init__.py',
                            'from .. import session\n'
                            'from ...datasets import x\n', floors) == []


@pytest.mark.parametrize('text', [
    'no block',
    '<!-- floors: begin -->\n1 a\n<!-- floors: end -->',
    '<!-- floors: begin -->\n0 a\n1 a\n<!-- floors: end -->',
])
def test_a_bad_floor_block_is_refused(text):
    with pytest.raises(ValueError):
        read_floors(text)
