"""benchmarks/ has one direction: readers and helpers at the bottom, one
module per evidence section above them, the commands (``python -m``
modules) on top; no import cycle, and no module that grows into a hub.

Imports are read from the source with ``ast`` (those inside functions
too), so a cycle hidden in a function-level import is found as well.
"""
import ast
import glob
import os.path as osp
from typing import Dict, List, Optional, Set

from benchmarks import page
from benchmarks.common import ROOT

PACKAGE_DIR = osp.join(ROOT, 'benchmarks')
MAX_LINES = 400


def import_graph(folder: str,
                 package: str = 'benchmarks') -> Dict[str, Set[str]]:
    """``{module: modules of the package it imports}`` for the ``.py``
    files of ``folder`` (the package ``package``), by module stem."""
    sources = {osp.splitext(osp.basename(p))[0]: p
               for p in glob.glob(osp.join(folder, '*.py'))}
    graph: Dict[str, Set[str]] = {}
    for name, path in sources.items():
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        deps: Set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                deps |= {a.name.split('.')[1] for a in node.names
                         if a.name.startswith(package + '.')}
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ''
                if node.level:  # relative: from .x import y, from . import x
                    parts = [module.split('.')[0]] if module else \
                        [a.name for a in node.names]
                elif module == package:
                    parts = [a.name for a in node.names]
                elif module.startswith(package + '.'):
                    parts = [module.split('.')[1]]
                else:
                    parts = []
                deps |= {p for p in parts if p in sources}
        graph[name] = deps - {name}
    return graph


def find_cycle(graph: Dict[str, Set[str]]) -> Optional[List[str]]:
    """A cycle of ``graph`` as the modules along it, the first repeated at
    the end (``['a', 'b', 'a']``); None without one."""
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(node: str) -> Optional[List[str]]:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def commands(folder: str) -> Set[str]:
    """The modules of ``folder`` run as ``python -m`` (a ``__main__``
    block): the top of the package."""
    out = set()
    for path in glob.glob(osp.join(folder, '*.py')):
        with open(path) as f:
            if "if __name__ == '__main__':" in f.read():
                out.add(osp.splitext(osp.basename(path))[0])
    return out


def section_modules() -> Set[str]:
    """The modules that render an evidence section (the registry's
    renderers), by stem."""
    return {s.renderer.rsplit('.', 1)[1] for s in page.SECTIONS
            if s.renderer}


def direction_violations(graph: Dict[str, Set[str]], sections: Set[str],
                         top: Set[str]) -> List[str]:
    """Imports against the direction: of a command (nothing imports the
    top), and of a section module by anything but a command (a reader or
    helper below it, or another section)."""
    out = []
    for module, deps in sorted(graph.items()):
        for dep in sorted(deps):
            if dep in top:
                out.append(f'{module} imports the command {dep}')
            elif dep in sections and module not in top:
                out.append(f'{module} imports the section module {dep}')
    return out


def test_the_package_has_no_cycle_and_one_direction():
    graph = import_graph(PACKAGE_DIR)
    assert find_cycle(graph) is None, find_cycle(graph)
    sections = section_modules()
    top = commands(PACKAGE_DIR)
    assert sections <= set(graph) and not sections & top
    assert {'lt_benchmark', 'lt_evidence', 'bench_losses',
            'own_data_kfold'} <= top
    assert direction_violations(graph, sections, top) == []
    # the floors: the page and the environment import nothing of the
    # package, the readers import no harness
    assert graph['page'] == set() and graph['common'] == set()
    for reader in ('noise', 'lt_curves', 'lt_results', 'lt_logs'):
        assert not graph[reader] & {'lt_runs', 'lt_protocol', 'lt_render'}


def test_a_cycle_is_reported(tmp_path):
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == \
        ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': set(), 'c': {'a', 'b'}}) is None
    # two files whose imports (one inside a function) close a loop
    (tmp_path / 'readers.py').write_text(
        'def load():\n    from benchmarks.hub import helper\n')
    (tmp_path / 'hub.py').write_text(
        'from benchmarks import readers\nfrom . import other\n')
    (tmp_path / 'other.py').write_text('import os\n')
    graph = import_graph(str(tmp_path))
    assert graph == {'readers': {'hub'}, 'hub': {'readers', 'other'},
                     'other': set()}
    assert find_cycle(graph) == ['hub', 'readers', 'hub']


def test_an_import_against_the_direction_is_reported():
    graph = {'lt_tables': {'mixup_bias'}, 'mixup_bias': {'convergence'},
             'convergence': {'lt_evidence'}, 'lt_evidence': {'mixup_bias'}}
    assert direction_violations(graph, {'mixup_bias', 'convergence'},
                                {'lt_evidence'}) == [
        'convergence imports the command lt_evidence',
        'lt_tables imports the section module mixup_bias',
        'mixup_bias imports the section module convergence',
    ]


def test_no_module_is_a_hub():
    for path in sorted(glob.glob(osp.join(PACKAGE_DIR, '*.py'))):
        with open(path) as f:
            lines = len(f.readlines())
        assert lines <= MAX_LINES, (
            f'{osp.relpath(path, ROOT)} has {lines} lines: split it by '
            'what it does (readers, a section, the command)')
