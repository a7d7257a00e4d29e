"""Copy the long-tail rows of docs/benchmarks.md into the configs' READMEs
and metafiles.

Usage, from the repository root:
``python -m benchmarks.sync_config_results [--check]``.

For every config folder (``configs/<family>/``) it rewrites

- the body of the README's ``## Results`` section: per section of
  docs/benchmarks.md that has rows of the folder's configs, those rows and
  the section's cross-entropy baseline row (row ``ce``), as they stand in
  docs/benchmarks.md, with the section named;
- the ``Results`` of every model of ``metafile.yml`` whose config is a row
  of a section (MMPretrain's metafile fields; the source names the section
  and the row), except for sections that run the config with another model
  (:data:`NOT_THE_METAFILE_MODEL`).

A config is matched to a row through the section's ``Rows:`` line
(``name: `path```), so a figure is never typed: it is the docs' cell.
``--check`` writes nothing and exits 1 when a file would change (the tests
run it).
"""
import argparse
import os
import os.path as osp
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import yaml

from benchmarks.common import ROOT

DOC = osp.join(ROOT, 'docs', 'benchmarks.md')
CONFIG_DIR = osp.join(ROOT, 'configs')
BASELINE_ROW = 'ce'
# table column -> metafile metric name
METRICS = (('top-1', 'Top 1 Accuracy'), ('balanced', 'Balanced Accuracy'),
           ('many', 'Many-Shot Accuracy'),
           ('medium', 'Medium-Shot Accuracy'), ('few', 'Few-Shot Accuracy'),
           ('macro-F1', 'Macro-F1'), ('group 1', 'Group 1 Accuracy'),
           ('group 0', 'Group 0 Accuracy'))
NO_ROWS = 'docs/benchmarks.md has no row for these configs yet.'
# sections whose rows run a config with another model, data or schedule
# than its metafile entry states (the recipes: ResNet-20 on the group-lift
# data instead of the recipe's ImageNet-initialised backbone on the user's
# images; the 100-epoch control of the 60-epoch baseline; the focal
# decomposition, whose controls change the focal config's loss options):
# copied into the README, with the section's footer, but not given to the
# metafile model as its Results
NOT_THE_METAFILE_MODEL = ('recipes', 'protocol-100e', 'focal-decomposition',
                          'ib-lr-drop', 'finetune-recipes',
                          'finetune-protocol-30e', 'finetune-schedule')


@dataclass
class Section:
    key: str
    title: str
    header: List[str]
    lines: Dict[str, str] = field(default_factory=dict)
    cells: Dict[str, Dict[str, str]] = field(default_factory=dict)
    configs: Dict[str, str] = field(default_factory=dict)


def read_sections(text: str) -> List[Section]:
    """The table sections of docs/benchmarks.md that name their rows'
    configs (a ``Rows:`` line), in page order."""
    out = []
    pattern = r'<!-- bench:([\w-]+):start -->\n(.*?)<!-- bench:\1:end -->'
    for m in re.finditer(pattern, text, re.S):
        lines = m.group(2).splitlines()
        rows_line = [x for x in lines if x.startswith('Rows: ')]
        table = [x for x in lines if x.startswith('|')]
        titles = [x for x in lines if x.startswith('## ')]
        if not rows_line or len(table) < 3 or not titles:
            continue
        header = [c.strip() for c in table[0].strip('|').split('|')]
        section = Section(m.group(1), titles[0][3:].strip(), header)
        for line in table[2:]:
            cells = [c.strip() for c in line.strip('|').split('|')]
            section.lines[cells[0]] = line
            section.cells[cells[0]] = dict(zip(header, cells))
        section.configs = dict(
            re.findall(r'(?:^Rows: |; )([^:;]+): `([^`]+)`', rows_line[0]))
        out.append(section)
    return out


def _metrics(cells: Dict[str, str]) -> Dict[str, float]:
    return {
        name: float(cells[col].split(' ± ')[0])
        for col, name in METRICS if cells.get(col, 'n/a') != 'n/a'
    }


def model_results(model: dict, sections: Sequence[Section]) -> List[dict]:
    """Metafile ``Results`` of one model: one per section row of its
    config."""
    results = []
    meta = model.get('Metadata', {})
    for s in sections:
        if s.key in NOT_THE_METAFILE_MODEL:
            continue
        for row, config in s.configs.items():
            if config != model['Config'] or row not in s.cells:
                continue
            cells = s.cells[row]
            dataset = meta.get('Training Data', '')
            case = group_lift_case(s.key)
            if case:
                dataset += f', {case} group 1'
            results.append({
                'Task': 'Long-Tailed Image Classification',
                'Dataset': dataset,
                'Metrics': _metrics(cells),
                'Seeds': int(cells['seeds']),
                'Epochs': meta.get('Epochs'),
                'Source': f'docs/benchmarks.md, section bench:{s.key} '
                f'("{s.title}"), row {row}',
            })
    return results


def group_lift_case(key: str) -> Optional[str]:
    """The case (``rare``, ``degraded``) of a group-lift section's key
    (``group-lift-<case>`` or, fine-tuned, ``finetune-group-lift-<case>``,
    the planned sections of :mod:`benchmarks.lt_protocol`); None for
    another section."""
    from benchmarks.lt_protocol import GROUP_LIFT_CASES
    return next((case for case in GROUP_LIFT_CASES
                 if key in (f'group-lift-{case}',
                            f'finetune-group-lift-{case}')), None)


def baseline_row(key: str) -> str:
    """The cross-entropy row of section ``key``: ``ce``, or on the
    group-lift data ``ce-<case>``."""
    case = group_lift_case(key)
    return f'{BASELINE_ROW}-{case}' if case else BASELINE_ROW


def readme_results(configs: Sequence[str],
                   sections: Sequence[Section]) -> str:
    """The body of a README's ``## Results`` section for a folder holding
    ``configs``."""
    parts = []
    for s in sections:
        rows = [row for row, config in s.configs.items()
                if config in configs and row in s.lines]
        if not rows:
            continue
        base = baseline_row(s.key)
        baseline = [base] if base in s.lines and base not in rows else []
        parts.append(
            f'Copied from docs/benchmarks.md, section `bench:{s.key}` '
            f'("{s.title}"); its footer has the data, schedule, machine, '
            'notes and command' +
            ('; the first row is the cross-entropy baseline of that section'
             if baseline else '') + ':')
        parts.append('')
        parts.append('| ' + ' | '.join(s.header) + ' |')
        parts.append('|' + '|'.join(['---'] + ['---:'] *
                                    (len(s.header) - 1)) + '|')
        parts += [s.lines[row] for row in baseline + rows]
        parts.append('')
    if not parts:
        return NO_ROWS + '\n'
    parts.append('Accuracies and macro-F1 in percent on the balanced test '
                 'set, mean ± sample std over seeds.')
    return '\n'.join(parts) + '\n'


def replace_results(readme: str, body: str, path: str) -> str:
    """``readme`` with the body of its ``## Results`` section replaced.

    Raises:
        ValueError: If the README has no ``## Results`` section.
    """
    m = re.search(r'^## Results\n', readme, re.M)
    if not m:
        raise ValueError(f'{path} has no "## Results" section')
    end = re.search(r'^## ', readme[m.end():], re.M)
    stop = m.end() + end.start() if end else len(readme)
    return readme[:m.end()] + '\n' + body + ('\n' if end else '') + \
        readme[stop:]


def sync_family(family: str, sections: Sequence[Section],
                check: bool) -> List[str]:
    """Rewrite (or, with ``check``, compare) one folder's README and
    metafile; the paths that differ."""
    folder = osp.join(CONFIG_DIR, family)
    changed = []
    meta_path = osp.join(folder, 'metafile.yml')
    with open(meta_path) as f:
        meta_text = f.read()
    meta = yaml.safe_load(meta_text)
    for model in meta['Models']:
        results = model_results(model, sections)
        # Results sit before Config, as in MMPretrain's metafiles
        config = model.pop('Config')
        model.pop('Results', None)
        if results:
            model['Results'] = results
        model['Config'] = config
    new_meta = yaml.safe_dump(
        meta, sort_keys=False, allow_unicode=True, width=100)
    readme_path = osp.join(folder, 'README.md')
    with open(readme_path) as f:
        readme = f.read()
    configs = [m['Config'] for m in meta['Models']]
    new_readme = replace_results(readme, readme_results(configs, sections),
                                 readme_path)
    for path, old, new in ((meta_path, meta_text, new_meta),
                           (readme_path, readme, new_readme)):
        if old != new:
            changed.append(osp.relpath(path, ROOT))
            if not check:
                with open(path, 'w') as f:
                    f.write(new)
    return changed


def families() -> List[str]:
    return sorted(d for d in os.listdir(CONFIG_DIR)
                  if d != '_base_' and osp.isfile(
                      osp.join(CONFIG_DIR, d, 'metafile.yml')))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='write nothing; exit 1 if a file would change')
    args = parser.parse_args(argv)
    with open(DOC) as f:
        sections = read_sections(f.read())
    changed = [p for fam in families()
               for p in sync_family(fam, sections, args.check)]
    verb = 'would change' if args.check else 'rewritten'
    for path in changed:
        print(f'{verb}: {path}')
    if not changed:
        print('configs READMEs and metafiles match docs/benchmarks.md')
    return 1 if args.check and changed else 0


if __name__ == '__main__':
    sys.exit(main())
