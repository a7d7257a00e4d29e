"""docs/benchmarks.md as the benchmark scripts write it: its sections, in
the one order the page shows them, and the writer that keeps that order.

:data:`SECTIONS` is the one registry of the page's generated sections. The
command lines read it (``lt_evidence --sections`` offers the sections it
renders, ``lt_benchmark --section`` the planned ones, whose rows
``lt_protocol`` keeps), :func:`write_report` lays the page out in its order
with a table of contents, and the tests re-render the sections it marks as
kept in ``benchmarks/results``. A new section is one entry here, at the
place a reader should meet it, and the module that renders it.

Each section sits between ``<!-- bench:NAME:start -->`` and
``<!-- bench:NAME:end -->``; the text before the first section (the page's
introduction and the protocol) is kept as written, but for the contents
between ``<!-- contents:start -->`` and ``<!-- contents:end -->``.

This module imports nothing of ``benchmarks``: it is the floor every
script writes through.
"""
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

DOC_INTRO = """\
# Benchmarks

<!-- contents:start -->
<!-- contents:end -->

Figures on this page are written by the scripts under `benchmarks/`; none is
typed in by hand. CI does not run them (a full run takes a while on CPU).
To reproduce a section, from the repository root, with the Python where
mmlt is installed (e.g. `.venv/bin/python`; the script starts
`tools/train.py` and `tools/test.py` with the same interpreter):

```bash
# gunzip Debian's dataset-fashion-mnist into data/fashion_mnist
python tools/dataset/prepare_fashion_mnist.py
# train, test and rewrite the 'losses' section below
python -m benchmarks.lt_benchmark
```

`python -m benchmarks.lt_benchmark --help` lists the options (configs, seeds,
epochs, section).
Each section records the machine, the schedule and the exact command that
produced it. Timings come from a shared 2-core machine and are noisy.
"""
# the page the scripts write (their --out), from the repository root
DEFAULT_OUT = 'docs/benchmarks.md'
CONTENTS_START, CONTENTS_END = '<!-- contents:start -->', \
    '<!-- contents:end -->'

# (key, the contents' heading): the parts of the page, in its order
PARTS: Tuple[Tuple[str, str], ...] = (
    ('protocol', 'The protocol'),
    ('losses', 'Losses'),
    ('samplers', 'Samplers'),
    ('heads', 'Heads and two-stage classifiers'),
    ('tricks', 'Bag of tricks'),
    ('combinations', 'Combinations'),
    ('groups', 'Groups'),
    ('recipes', 'Recipes'),
    ('finetune', 'Fine-tuning an ImageNet-pretrained backbone'),
    ('explanations', 'Explanations'),
    ('cost', 'Cost'),
    ('label-issues', 'Label issues'),
    ('own-data', 'Your own data'),
)


@dataclass(frozen=True)
class Section:
    """A generated section of docs/benchmarks.md."""
    name: str  # its markers' name
    part: str  # a key of PARTS
    label: str  # the contents' words for it
    script: str  # the module whose ``python -m`` writes it
    # lt_evidence's sections: the module whose ``render(results)`` builds it
    renderer: Optional[str] = None
    # lt_benchmark's planned sections: the heading (lt_protocol has the rows)
    title: Optional[str] = None
    # rendered from the run records in benchmarks/results alone (no
    # training, no checkpoint), so the tests re-render it and compare
    records: bool = False
    # lt_benchmark's sections: the protocol their rows are trained under
    # (benchmarks/lt_protocol.py's PROTOCOLS)
    protocol: str = 'converged'


_LT = 'benchmarks.lt_benchmark'
_EV = 'benchmarks.lt_evidence'
_FM = 'Fashion-MNIST-LT (n_max 1,000, IR 100), converged protocol: '
_FT_PROTOCOL = ('fine-tuning protocol (EfficientNet-Lite0 from ImageNet-1k '
                'weights)')
_FT = f'Fashion-MNIST-LT (n_max 1,000, IR 100) at 80x60, {_FT_PROTOCOL}: '

# the page's order: parts as PARTS, a section's explanation after its runs
SECTIONS: Tuple[Section, ...] = (
    Section('convergence', 'protocol', "cross-entropy's convergence", _EV,
            renderer='benchmarks.convergence', records=True),
    Section('protocol-100e', 'protocol', '100 epochs against 60', _LT,
            records=True),
    Section('lt-losses', 'losses', 'every loss against cross-entropy', _LT,
            title=_FM + 'every classification loss against cross-entropy',
            records=True),
    Section('lt-samplers', 'samplers', 'the samplers', _LT,
            title=_FM + 'samplers', records=True),
    Section('lt-heads-two-stage', 'heads', 'heads and decoupled classifiers',
            _LT, title=_FM + 'heads and decoupled (two-stage) classifiers',
            records=True),
    Section('lt-bag-of-tricks', 'tricks',
            'DRS with CAM sampling, the Bag-of-Tricks chain, TTA', _LT,
            title=_FM + 'DRS with CAM-based sampling, the Bag-of-Tricks '
            'chain, TTA', records=True),
    Section('lt-combinations', 'combinations',
            'prior-corrected losses combined, against the balanced oracle',
            _LT, title=_FM + 'combinations of methods, and the oracle '
            'trained on a balanced draw of the same size', records=True),
    Section('recipe-oracles', 'combinations',
            'the combinations against the oracle with their own recipe, and '
            'the 90% goal', _EV, renderer='benchmarks.recipe_oracles',
            records=True),
    Section('group-lift-rare', 'groups', 'the group plans, rare group 1',
            _LT, title='Group lift, rare group 1 (Fashion-MNIST-LT, 10% of '
            'each class rotated by 90 degrees), converged protocol: the group '
            'plans', records=True),
    Section('group-lift-degraded', 'groups',
            'the group plans, degraded group 1', _LT,
            title='Group lift, degraded group 1 (Fashion-MNIST-LT, 30% of '
            'each class with low contrast, blur and noise), converged '
            'protocol: the group plans', records=True),
    Section('group-lift', 'groups', 'what the group plans buy and cost', _EV,
            renderer='benchmarks.group_lift', records=True),
    # the recipes' runs predate the records: re-rendering them trains
    Section('recipes', 'recipes', 'V1 to V4 and the group plans A/B/C', _LT,
            title='The recipes (configs/recipes/): V1 to V4 and the group '
            'plans A/B/C on the degraded group-lift data, ResNet-20 from '
            'scratch'),
    Section('recipe-direction', 'recipes',
            'V1 to V4 against the reference project', _EV,
            renderer='benchmarks.recipe_direction'),
    Section('finetune-methods', 'finetune',
            'the methods on a fine-tuned EfficientNet-Lite0', _LT,
            title=_FT + 'the methods against cross-entropy, and the same '
            'network from scratch', records=True, protocol='finetune'),
    Section('finetune-group-lift-rare', 'finetune',
            'the group plans on a fine-tuned EfficientNet-Lite0, rare group 1',
            _LT, title='Group lift, rare group 1 (Fashion-MNIST-LT at 80x60, '
            '10% of each class rotated by 90 degrees), ' + _FT_PROTOCOL +
            ': the group plans', records=True, protocol='finetune'),
    Section('finetune-group-lift-degraded', 'finetune',
            'the group plans on a fine-tuned EfficientNet-Lite0, degraded '
            'group 1', _LT,
            title='Group lift, degraded group 1 (Fashion-MNIST-LT at 80x60, '
            '30% of each class with low contrast, blur and noise), '
            + _FT_PROTOCOL + ': the group plans', records=True,
            protocol='finetune'),
    Section('finetune-recipes', 'finetune',
            'V1 to V4 on a fine-tuned EfficientNet-Lite0', _LT,
            title='The recipes (configs/recipes/): V1 to V4 on the degraded '
            'group-lift data, ' + _FT_PROTOCOL + ', the '
            "recipes' own image size and learning rates", records=True,
            protocol='finetune'),
    Section('finetune-schedule', 'finetune',
            'the fine-tuning schedules the protocol was picked from', _LT,
            records=True, protocol='finetune'),
    Section('finetune-convergence', 'finetune',
            "fine-tuned cross-entropy's convergence", _EV,
            renderer='benchmarks.finetune_convergence', records=True,
            protocol='finetune'),
    Section('finetune-protocol-30e', 'finetune',
            'fine-tuning for 30 epochs against 20', _LT, records=True,
            protocol='finetune'),
    Section('regimes', 'finetune',
            'from scratch against fine-tuned, method by method', _EV,
            renderer='benchmarks.regimes', records=True, protocol='finetune'),
    Section('paper-signs', 'explanations',
            "measured gains against the papers'", _EV,
            renderer='benchmarks.paper_signs', records=True),
    Section('focal-decomposition', 'explanations',
            'the sigmoid focal loss taken apart', _LT, records=True),
    Section('focal-tail', 'explanations',
            'why the sigmoid focal loss loses', _EV,
            renderer='benchmarks.focal_decomposition', records=True),
    Section('ib-lr-drop', 'explanations',
            'IB with and without its learning-rate drop', _LT, records=True),
    Section('ib-switch', 'explanations', 'why IB needs its learning-rate drop',
            _EV, renderer='benchmarks.ib_lr_drop', records=True),
    Section('mixup-bias', 'explanations', 'why input mixup loses', _EV,
            renderer='benchmarks.mixup_bias', records=True),
    Section('mixup-combinations', 'explanations',
            'why input mixup does not add to a prior-corrected loss', _EV,
            renderer='benchmarks.mixup_combinations', records=True),
    Section('group-probe', 'explanations',
            'why the group multi-task head lowers the rare group',
            'benchmarks.group_probe'),
    Section('pretrained-probe', 'explanations',
            'what the ImageNet weights of EfficientNet-Lite0 carry',
            'benchmarks.pretrained_probe'),
    Section('loss-speed', 'cost', "each loss's share of an iteration",
            'benchmarks.bench_losses'),
    Section('sampler', 'cost', 'the re-sampling plan at scale',
            'benchmarks.bench_sampler'),
    Section('overhead', 'cost', 'mmlt over plain MMPretrain',
            'benchmarks.bench_overhead'),
    Section('export', 'cost', 'ONNX and int8 export, ResNet-20',
            'benchmarks.bench_export'),
    Section('export-resnet32', 'cost', 'ONNX and int8 export, ResNet-32',
            'benchmarks.bench_export'),
    Section('label-issues', 'label-issues', 'finding injected label flips',
            'benchmarks.bench_label_issues'),
    Section('own-data-kfold', 'own-data',
            'the fold ensemble against one model on all the data',
            'benchmarks.own_data_kfold'),
    Section('advisor-check', 'own-data',
            "the method advisor's predictions against the test set",
            'benchmarks.advisor_check', records=True, protocol='finetune'),
    Section('advisor-group-lift', 'own-data',
            "the method advisor's per-group bias against the test set, on "
            'the group-lift data', 'benchmarks.advisor_check', records=True,
            protocol='finetune'),
)


def section(name: str) -> Section:
    """The registry entry of section ``name``.

    Raises:
        KeyError: For a name that is not in :data:`SECTIONS`, naming them.
    """
    for s in SECTIONS:
        if s.name == name:
            return s
    raise KeyError(f'no section {name!r} in benchmarks/page.py; sections: '
                   f'{[s.name for s in SECTIONS]}')


# ---------------------------------------------------------------- markers
def check_section_name(name: str) -> str:
    """Section names go into HTML comments: letters, digits, ``_``, ``-``."""
    if not re.fullmatch(r'[A-Za-z0-9_-]+', name):
        raise ValueError(f'section name {name!r} must use only letters, '
                         'digits, "_" and "-".')
    return name


def section_markers(name: str) -> Tuple[str, str]:
    """The start and end comments that enclose section ``name``."""
    check_section_name(name)
    return f'<!-- bench:{name}:start -->', f'<!-- bench:{name}:end -->'


def replace_section(text: str, name: str, body: str,
                    intro: str = DOC_INTRO) -> str:
    """Put ``body`` between the markers of section ``name`` in ``text``.

    Everything outside those markers is kept. A section not yet in the
    file is appended (:func:`order_page` then moves it to its place); an
    empty file starts with ``intro``.

    Raises:
        ValueError: If the markers are unbalanced or out of order.
    """
    start, end = section_markers(name)
    n_start, n_end = text.count(start), text.count(end)
    block = f'{start}\n{body.strip()}\n{end}'
    if n_start == 0 and n_end == 0:
        base = text if text.strip() else intro
        return base.rstrip('\n') + '\n\n' + block + '\n'
    if n_start != 1 or n_end != 1:
        raise ValueError(f'section {name!r} needs exactly one {start} and '
                         f'one {end}, found {n_start} and {n_end}.')
    i, j = text.index(start), text.index(end)
    if j < i:
        raise ValueError(f'section {name!r}: {end} comes before {start}.')
    return text[:i] + block + text[j + len(end):]


_BLOCK = re.compile(r'<!-- bench:([\w-]+):start -->\n.*?'
                    r'<!-- bench:\1:end -->', re.S)


def split_page(text: str) -> Tuple[str, Dict[str, str], str]:
    """``(head, {name: block}, tail)``: the text before the first section,
    each section with its markers (page order) and the text after the last.

    Raises:
        ValueError: For text between two sections, which no section owns,
            so the page could not be reordered without losing its place,
            or for a section that appears twice.
    """
    blocks, head, tail, last = {}, text, '', None
    for m in _BLOCK.finditer(text):
        if m.group(1) in blocks:
            raise ValueError(f'section {m.group(1)!r} appears twice')
        if last is None:
            head = text[:m.start()]
        elif text[last:m.start()].strip():
            raise ValueError(
                f'text outside any section before section {m.group(1)!r}: '
                f'{text[last:m.start()].strip()[:80]!r}; move it into the '
                'introduction or a section')
        blocks[m.group(1)] = m.group(0)
        last = m.end()
    if last is not None:
        tail = text[last:]
    return head, blocks, tail


def order_page(text: str) -> str:
    """``text`` with its sections in :data:`SECTIONS`' order (a section not
    registered after them, as it stood) and its contents rewritten; a page
    without sections is returned as it is."""
    head, blocks, tail = split_page(text)
    if not blocks:
        return text
    index = {s.name: i for i, s in enumerate(SECTIONS)}
    names = sorted(blocks, key=lambda n: index.get(n, len(index)))
    body = '\n\n'.join(blocks[n] for n in names)
    page = (head.rstrip('\n') + '\n\n' if head.strip() else '') + body + \
        (tail if tail.strip() else '\n')
    if CONTENTS_START in page and CONTENTS_END in page:
        i = page.index(CONTENTS_START) + len(CONTENTS_START)
        page = page[:i] + '\n' + contents(page) + '\n' + \
            page[page.index(CONTENTS_END):]
    return page


# --------------------------------------------------------------- contents
def github_anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation but
    hyphens and underscores dropped, spaces as hyphens."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return text.replace(' ', '-')


def heading_anchors(text: str) -> List[Tuple[int, str, str]]:
    """``(position, heading, anchor)`` of every heading of ``text`` outside
    code blocks, a repeated anchor numbered as GitHub numbers it (``-1``,
    ``-2``)."""
    out, seen, fenced, pos = [], {}, False, 0
    for line in text.splitlines(keepends=True):
        if line.startswith('```'):
            fenced = not fenced
        elif not fenced and re.match(r'#{1,6} ', line):
            heading = line.lstrip('#').strip()
            anchor = github_anchor(heading)
            n = seen.get(anchor, 0)
            seen[anchor] = n + 1
            out.append((pos, heading, anchor + (f'-{n}' if n else '')))
        pos += len(line)
    return out


def contents(page: str) -> str:
    """The page's table of contents: per part of :data:`PARTS`, a link to
    each of its sections on ``page`` (the introduction's own ``##``
    headings under the first part); a part without one says so."""
    head, blocks, _ = split_page(page)
    anchors = heading_anchors(page)
    links: Dict[str, List[str]] = {key: [] for key, _ in PARTS}
    for pos, heading, anchor in anchors:
        if pos < len(head) and page.startswith('## ', pos):
            links[PARTS[0][0]].append(f'[{heading}](#{anchor})')
    for s in SECTIONS:
        if s.name not in blocks:
            continue
        start = page.index(section_markers(s.name)[0])
        end = start + len(blocks[s.name])
        first = next((a for p, _, a in anchors if start < p < end), None)
        if first is not None:
            links[s.part].append(f'[{s.label}](#{first})')
    lines = ['Contents (the sections below come in this order):', '']
    for key, title in PARTS:
        lines.append(f'- **{title}**: ' +
                     (', '.join(links[key]) if links[key] else 'none yet'))
    return '\n'.join(lines)


def write_report(path: str, name: str, body: str) -> None:
    """Write ``body`` as section ``name`` of the Markdown file ``path``
    (created with :data:`DOC_INTRO` if missing) and lay the page out in
    :data:`SECTIONS`' order (:func:`order_page`)."""
    text = ''
    if osp.isfile(path):
        with open(path) as f:
            text = f.read()
    new = order_page(replace_section(text, name, body))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write(new)
