"""The ``paper-signs`` section of docs/benchmarks.md: what the papers
report for each benchmark row, and whether the gain measured here has the
sign the paper reports.

The rows are those of the planned sections of the method parts of the page
(:data:`METHOD_PARTS`: losses, samplers, heads and two-stage classifiers,
bag of tricks, combinations), each against cross-entropy on test balanced
accuracy with the page's noise rule (:mod:`benchmarks.noise`). Beside it,
the same difference under the fine-tuning protocol (EfficientNet-Lite0 from
ImageNet-1k weights, the ``finetune-methods`` rows) for the rows that
protocol trains: the results of both protocols (:data:`PROTOCOLS`) are
``render``'s arguments, the fine-tuned ones optional (none: the column says
"not run yet"). Written by ``python -m benchmarks.lt_evidence`` (with
``convergence``).

The reference figures are top-1 errors on CIFAR-10-LT (imbalance ratio 100)
with ResNet-32, each against the cross-entropy baseline of its own source:

- ``BOT``: the trick gallery of Bag of Tricks' official code (Zhang et al.,
  AAAI 2021; documents/trick_gallery.md of zhangyongshun/BagofTricks-LT),
  every trick re-run in one codebase against its cross-entropy baseline
  (error 30.12);
- ``BOT_COMBINATIONS``: the same code's trick combinations
  (documents/trick_combination.md), whose best chain (input mixup and DRS
  with CAM-based balance-sampling, then fine-tuning without mixup) has
  error 20.24 against the same cross-entropy baseline;
- ``LDAM``: Cao et al., NeurIPS 2019, Table 2 (ERM 29.64, LDAM-DRW 22.97);
- ``LOGIT_ADJUSTMENT``: the reference code of Menon et al., ICLR 2021
  (logit_adjustment/README.md of google-research/google-research), whose
  balanced test accuracies are ERM 71.36, post-hoc logit adjustment 77.32
  and the logit-adjusted loss 77.89 (errors 28.64, 22.68, 22.11).

A row without an entry has no CIFAR-10-LT figure in these sources (its
paper reports another data set, or none): the table says so (``—``, "no
CIFAR-10-LT figure") rather than borrowing a figure from another setting,
so a new method needs no entry here to be benchmarked.
"""
import math
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence

from benchmarks.common import git_provenance
from benchmarks.lt_combinations import ORACLES, RECIPE_ORACLES
from benchmarks.lt_curves import BALANCED
from benchmarks.lt_protocol import section_plan
from benchmarks.lt_results import Results
from benchmarks.noise import difference, exceeds_noise, noise_verdict
from benchmarks.page import SECTIONS

# the results render() reads: the converged protocol's, then the fine-tuning
# protocol's
PROTOCOLS = ('converged', 'finetune')
# the fine-tuning protocol's section of methods, and the finished seeds its
# column waits for
FINETUNE_SECTION = 'finetune-methods'
FINETUNE_SEEDS = 3
NOT_RUN = 'not run yet'

BOT = ('Bag of Tricks (Zhang et al., AAAI 2021), official trick gallery, '
       'CIFAR-10-LT-100')
BOT_COMBINATIONS = ('Bag of Tricks (Zhang et al., AAAI 2021), official '
                    'trick combinations, CIFAR-10-LT-100')
LDAM = 'Cao et al., NeurIPS 2019, Table 2, CIFAR-10-LT IR 100'
LOGIT_ADJUSTMENT = ('Menon et al., ICLR 2021, reference code '
                    '(logit_adjustment README), CIFAR-10-LT')
BOT_CE_ERROR = 30.12
LDAM_CE_ERROR = 29.64
LOGIT_ADJUSTMENT_CE_ERROR = 28.64
MISLAS = ('Zhong et al., CVPR 2021, reference code README (82.5% on '
          'CIFAR-10-LT IF 100), against the cross-entropy of the LDAM-DRW '
          'code it builds on (Cao et al., Table 2)')

WEIGHT_BALANCING = ('Alshammari et al., CVPR 2022, reference code demo logs '
                    '(CIFAR-100-LT IF 100, ResNet-34: cross-entropy without '
                    'weight decay 39.62%, weight balancing 51.98%)')


@dataclass(frozen=True)
class PaperFigure:
    source: str
    what: str  # the paper's name of the method
    ce_error: float
    error: float

    @property
    def gain(self) -> float:
        """Accuracy points over cross-entropy (error reduction)."""
        return self.ce_error - self.error


def _bot(what: str, error: float) -> PaperFigure:
    return PaperFigure(BOT, what, BOT_CE_ERROR, error)


# benchmark row name -> the figure its method's paper (or the reference
# re-implementation) reports
PAPER_FIGURES: Dict[str, PaperFigure] = {
    'focal': _bot('Focal loss', 30.88),
    'cb-ce': _bot('ClassBalanceCE', 29.80),
    'cb-focal': _bot('ClassBalanceFocal', 26.83),
    'cs-ce': _bot('CS_CE', 31.22),
    'ldam': _bot('LDAM loss', 29.37),
    'ldam-drw': PaperFigure(LDAM, 'LDAM-DRW', LDAM_CE_ERROR, 22.97),
    'ce-drw': _bot('DRW, second stage ClassBalanceCE', 26.87),
    'balanced-softmax': _bot('BalancedSoftmaxCE', 23.63),
    'logit-adjusted': PaperFigure(LOGIT_ADJUSTMENT, 'Logit adjustment loss',
                                  LOGIT_ADJUSTMENT_CE_ERROR, 22.11),
    'cdt': _bot('CDT', 25.08),
    'mixup': _bot('Input mixup', 28.55),
    'class-balanced-sampler': _bot('Class-balanced sampling', 30.35),
    'sqrt-sampler': _bot('Square-root sampling', 30.81),
    'progressive-sampler': _bot('Progressively-balanced sampling', 29.35),
    'ce-posthoc-la': PaperFigure(LOGIT_ADJUSTMENT,
                                 'Post-hoc logit adjustment',
                                 LOGIT_ADJUSTMENT_CE_ERROR, 22.68),
    'drs': _bot('DRS, second stage class-balanced sampling', 27.08),
    'drs-cam': _bot('DRS with CAM-based balance-sampling', 23.59),
    'bot-combo': PaperFigure(BOT_COMBINATIONS,
                             'CE+IM+DRS with CAM-based balance-sampling, '
                             'then CE fine-tuning without mixup',
                             BOT_CE_ERROR, 20.24),
    'tau-norm': _bot('Tau_normalization', 29.34),
    # the best of its "mixup methods with re-balancing" table
    'balanced-softmax-mixup': PaperFigure(
        BOT_COMBINATIONS, 'Input mixup + BalancedSoftmaxCE', BOT_CE_ERROR,
        18.65),
    'mislas': PaperFigure(MISLAS, 'MiSLAS (stage 2)', LDAM_CE_ERROR, 17.5),
    'weight-balancing': PaperFigure(
        WEIGHT_BALANCING, 'Weight decay, then MaxNorm with weight decay '
        '(stage 2)', 60.38, 48.02),
}


# benchmark row -> the docs/benchmarks.md section that measures why it
# loses to cross-entropy (the "investigate, with a measurement")
INVESTIGATED: Dict[str, str] = {
    'focal': 'focal-tail',
    'softmax-focal': 'focal-tail',
    'mixup': 'mixup-bias',
}


@dataclass
class SignRow:
    name: str
    paper: Optional[PaperFigure]
    delta: float  # measured balanced-accuracy gain over cross-entropy
    pooled_std: float
    seeds: int

    @property
    def beyond_noise(self) -> Optional[bool]:
        """|Δ| > 2 × the pooled std (None without a std)."""
        return exceeds_noise(self.delta, self.pooled_std)

    @property
    def agrees(self) -> Optional[bool]:
        """The measured sign is the paper's (None without a paper figure or
        when the difference is inside the noise)."""
        if self.paper is None or not self.beyond_noise:
            return None
        return (self.delta > 0) == (self.paper.gain > 0)


def losses_line(rows: Sequence[SignRow]) -> str:
    """The rows below cross-entropy beyond the noise, each with the
    section that measures why (:data:`INVESTIGATED`) or 'not investigated',
    so a loss is never left without saying whether it was looked into."""
    losing = [r for r in rows if r.beyond_noise and r.delta < 0]
    return 'Below cross-entropy beyond the noise: ' + ('; '.join(
        f'{r.name} ({r.delta:+.2f}; why: the `{INVESTIGATED[r.name]}` '
        'section)' if r.name in INVESTIGATED else
        f'{r.name} ({r.delta:+.2f}; not investigated)'
        for r in losing) or 'none') + '.'


def sign_rows(per_row: Dict[str, Sequence[float]],
              baseline: str = 'ce') -> List[SignRow]:
    """One row per method of ``per_row`` (row name -> balanced accuracy per
    seed), measured against ``baseline``'s seeds.

    Raises:
        KeyError: If the baseline row is missing.
    """
    if baseline not in per_row:
        raise KeyError(f'no {baseline!r} row: the sign table compares every '
                       'row with it')
    rows = []
    for name, values in per_row.items():
        if name == baseline or not values:
            continue
        delta, pooled = difference(per_row[baseline], values)
        rows.append(
            SignRow(name, PAPER_FIGURES.get(name), delta, pooled,
                    len(values)))
    return rows


def _verdict(row: SignRow) -> str:
    if not row.beyond_noise:
        return noise_verdict(row.beyond_noise)
    if row.paper is None:
        return 'beyond noise (no paper figure)'
    return 'same sign as the paper' if row.agrees else \
        '**opposite sign to the paper**'


def _finetuned_cell(name: str,
                    finetuned: Mapping[str, Optional[SignRow]]) -> str:
    if name not in finetuned:
        return '—'
    r = finetuned[name]
    return NOT_RUN if r is None else f'{r.delta:+.2f} ({_verdict(r)})'


def render_sign_table(
        rows: Sequence[SignRow],
        finetuned: Optional[Mapping[str, Optional[SignRow]]] = None) -> str:
    """Markdown table: paper gain, measured gain, pooled std, verdict; with
    ``finetuned`` (:func:`finetune_sign_rows`), the fine-tuned gain and its
    verdict too ('not run yet' for a row without its runs, '—' for a row
    the fine-tuning protocol does not train)."""
    extra = finetuned is not None
    lines = [
        '| row | paper: gain over CE (points) | source | measured: Δ '
        'balanced accuracy | pooled std | seeds | verdict |' +
        (' fine-tuned: Δ (verdict) |' if extra else ''),
        '|---|---:|---|---:|---:|---:|---|' + ('---|' if extra else ''),
    ]
    for r in rows:
        paper = f'{r.paper.gain:+.2f} ({r.paper.what})' if r.paper else '—'
        source = r.paper.source if r.paper else 'no CIFAR-10-LT figure'
        std = 'n/a' if math.isnan(r.pooled_std) else f'{r.pooled_std:.2f}'
        lines.append(f'| {r.name} | {paper} | {source} | {r.delta:+.2f} | '
                     f'{std} | {r.seeds} | {_verdict(r)} |' +
                     (f' {_finetuned_cell(r.name, finetuned)} |'
                      if extra else ''))
    return '\n'.join(lines)


def finetune_sign_rows(finetuned: Results,
                       baseline: str = 'ce') -> Dict[str, Optional[SignRow]]:
    """``{row: SignRow}`` of the fine-tuning protocol's method rows against
    its ``baseline``; None for a row until it and
    the baseline have :data:`FINETUNE_SEEDS` finished runs."""
    def done(row: str) -> bool:
        return len(finetuned.get(row, {})) >= FINETUNE_SEEDS

    def balanced(row: str) -> List[float]:
        return [r['metrics'][BALANCED]
                for _, r in sorted(finetuned[row].items())]

    out: Dict[str, Optional[SignRow]] = {}
    for c in section_plan(FINETUNE_SECTION)[1]:
        if c.name == baseline:
            continue
        if done(c.name) and done(baseline):
            out[c.name] = sign_rows(
                {baseline: balanced(baseline),
                 c.name: balanced(c.name)}, baseline)[0]
        else:
            out[c.name] = None
    return out


# the parts of the page whose planned sections compare methods with
# cross-entropy on the protocol's data (not the group-lift data or the
# controls): their rows make the sign table
METHOD_PARTS = ('losses', 'samplers', 'heads', 'tricks', 'combinations')


def long_tail_rows() -> List[str]:
    """Rows of the planned sections of :data:`METHOD_PARTS`, in page
    order, each once; not the oracles (cross-entropy on balanced data, the
    end of the gap, not a method), with a recipe or without."""
    oracles = {oracle.name for _, oracle in ORACLES.values()} | {
        oracle for _, oracle, _ in RECIPE_ORACLES}
    names: List[str] = []
    for s in SECTIONS:
        if s.part in METHOD_PARTS and s.title:
            names += [c.name for c in section_plan(s.name)[1]
                      if c.name not in oracles]
    return list(dict.fromkeys(names))


def render(results: Results, finetuned: Optional[Results] = None) -> str:
    """The ``paper-signs`` section body from the finished runs of the
    long-tail sections' rows (``results``, the converged protocol's), with
    the fine-tuning protocol's (``finetuned``; none: not run yet)."""
    per_row = {
        name: [r['metrics'][BALANCED]
               for _, r in sorted(results[name].items())]
        for name in long_tail_rows() if results.get(name)
    }
    rows = sign_rows(per_row)
    pending = [n for n in long_tail_rows() if not results.get(n)]
    return '\n'.join([
        '## Measured gains against the papers\' (converged protocol)',
        '',
        render_sign_table(rows, finetune_sign_rows(finetuned or {})),
        '',
        losses_line(rows),
        '',
        'Measured: test balanced accuracy of the row minus that of '
        'cross-entropy (both mean over seeds, Fashion-MNIST-LT n_max 1,000, '
        'ResNet-20); pooled std: sqrt((s_row² + s_ce²) / 2); beyond noise: '
        '|Δ| > 2 × pooled std. Paper: the top-1 error reduction its source '
        'reports on CIFAR-10-LT (IR 100, ResNet-32), in accuracy points; '
        'the sources are listed in `benchmarks/paper_signs.py`. Another '
        'data set and scale: a sign, not a size, is what should carry over.'
        + (f' Not run yet (no finished runs): {", ".join(pending)}.'
           if pending else ''),
        '',
        'Fine-tuned: the same difference and verdict under the fine-tuning '
        'protocol (EfficientNet-Lite0 from ImageNet-1k weights, fine-tuned '
        'at 80x60 on the same long-tailed draw, against its own '
        f'cross-entropy), once the row and cross-entropy have '
        f'{FINETUNE_SEEDS} finished seeds there ({NOT_RUN} until then); a '
        'dash: a row the fine-tuning protocol does not train. The `regimes` '
        'section sets the two protocols side by side.',
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence`',
    ])
