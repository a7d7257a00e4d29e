"""The rows of ``benchmarks/lt_benchmark.py``: a table row (its name,
config and, for a two-stage recipe, how it chains to its first stage), read
from the command line (``NAME=PATH``, ``--after``, ``--prepare``,
``--row-cfg``, ``--test-only``), the rows a row reads, and the placeholders
of its templates. No subprocess and no file here: running a row is
:mod:`benchmarks.lt_runs`."""
import argparse
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple


@dataclass
class ConfigSpec:
    """A row of the table: its display name and config path, and for the
    second stage of a two-stage recipe, what chains it to the first (see
    ``--after``, ``--prepare``, ``--row-cfg``, ``--test-only``)."""
    name: str
    path: str
    after: Optional[str] = None
    prepare: Optional[str] = None
    cfg: List[str] = field(default_factory=list)
    test_only: Optional[str] = None
    # extra arguments of tools/test.py for this row (e.g. ['--tta'])
    test_args: List[str] = field(default_factory=list)
    # the docs' words for ``cfg`` when listing it would bury the row (e.g.
    # the recipes' computed overrides); empty: the items are listed
    cfg_note: str = ''


def parse_config_spec(text: str) -> ConfigSpec:
    """Read ``NAME=PATH`` or ``PATH`` (the name is then the file's stem).

    Raises:
        ValueError: If the name or the path is empty.
    """
    name, sep, path = text.partition('=')
    if not sep:
        name, path = '', text
    name, path = name.strip(), path.strip()
    if not path:
        raise ValueError(f'config spec {text!r} has no path; expected '
                         'NAME=PATH or PATH.')
    if sep and not name:
        raise ValueError(f'config spec {text!r} has an empty name; expected '
                         'NAME=PATH or PATH.')
    if not name:
        name = osp.splitext(osp.basename(path))[0]
    return ConfigSpec(name=name, path=path)


def slugify(name: str) -> str:
    """A folder-safe version of a row name."""
    slug = re.sub(r'[^A-Za-z0-9._-]+', '-', name).strip('-').lower()
    return slug or 'run'


PLACEHOLDERS = ('python', 'run_dir', 'seed', 'stage1_config',
                'stage1_checkpoint', 'stage1_dir', 'checkpoint[ROW]')


def fill_placeholders(template: str, context: Dict[str, str],
                      what: str) -> str:
    """``template`` with ``{python}``, ``{run_dir}``, ``{seed}``,
    ``{checkpoint[ROW]}`` (an earlier row's final checkpoint) and, for a row
    with ``--after``, ``{stage1_config}``, ``{stage1_checkpoint}``,
    ``{stage1_dir}`` filled in.

    Raises:
        ValueError: For a placeholder that is unknown or not available for
            this row.
    """
    for name in re.findall(r'{([^{}]*)}', template):
        if name.split('[', 1)[0] not in context or name == 'checkpoint':
            known = [k for k in PLACEHOLDERS if k.split('[')[0] in context]
            raise ValueError(f'{what} {template!r}: placeholder {{{name}}} '
                             f'is not one of {known}')
    return template.format(**context)


def row_dependencies(spec: ConfigSpec) -> List[str]:
    """Rows whose runs ``spec`` reads: its stage 1 (``after``) and every
    ``{checkpoint[ROW]}`` its templates name."""
    deps = [spec.after] if spec.after else []
    for text in [spec.prepare or '', spec.test_only or ''] + spec.cfg:
        deps += re.findall(r'{checkpoint\[([^\]]+)\]}', text)
    return list(dict.fromkeys(deps))


def rows_to_train(specs: Sequence[ConfigSpec],
                  rows: Optional[Sequence[str]]) -> List[str]:
    """The rows ``--rows`` selects and, transitively, the rows they read
    (in table order); every row without ``--rows``.

    Raises:
        ValueError: For a name that is not a row of ``specs``.
    """
    names = [s.name for s in specs]
    if rows is None:
        return names
    unknown = [r for r in rows if r not in names]
    if unknown:
        raise ValueError(f'--rows {unknown}: not rows of this section '
                         f'({names})')
    by_name = {s.name: s for s in specs}
    todo, needed = list(rows), set()
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo += row_dependencies(by_name[name])
    return [n for n in names if n in needed]


def attach_row_options(args: argparse.Namespace) -> None:
    """Move ``--after/--prepare/--row-cfg/--test-only`` onto their rows.

    Raises:
        ValueError: For an unknown row, a malformed item, a row given
            twice, or a stage-1 row that is not listed before its row.
    """
    order = {c.name: i for i, c in enumerate(args.configs)}
    by_name = {c.name: c for c in args.configs}

    def split(option: str, item: str) -> Tuple[ConfigSpec, str]:
        row, sep, value = item.partition('=')
        if not sep or not value:
            raise ValueError(f'{option} {item!r}: expected ROW=VALUE')
        if row not in by_name:
            raise ValueError(f'{option} {item!r}: no row named {row!r} in '
                             f'--configs ({list(by_name)})')
        return by_name[row], value

    for option, attr in (('--after', 'after'), ('--prepare', 'prepare'),
                         ('--test-only', 'test_only')):
        for item in getattr(args, attr):
            spec, value = split(option, item)
            if getattr(spec, attr) is not None:
                raise ValueError(f'{option} given twice for row {spec.name!r}')
            setattr(spec, attr, value)
    for item in args.row_cfg:
        spec, value = split('--row-cfg', item)
        if '=' not in value:
            raise ValueError(f'--row-cfg {item!r}: expected ROW=KEY=VALUE')
        spec.cfg.append(value)
    for spec in args.configs:
        if spec.after is None:
            continue
        if spec.after not in order:
            raise ValueError(f'--after {spec.name}={spec.after}: no row named '
                             f'{spec.after!r} in --configs')
        if order[spec.after] >= order[spec.name]:
            raise ValueError(f'--after {spec.name}={spec.after}: the stage-1 '
                             'row must come before its row in --configs')
