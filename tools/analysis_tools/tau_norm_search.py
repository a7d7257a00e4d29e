"""Pick τ of a τ-normalised classifier (Kang et al., ICLR 2020) on a
validation split::

    python tools/analysis_tools/tau_norm_search.py CONFIG CHECKPOINT \
        [--taus 0 0.1 ... 2.0] [--split val|test] \
        [--metric balanced_accuracy|top1] [--save-checkpoint OUT.pth] \
        [--out result.json] [--cfg-options key=value ...]

The features of the split are computed once; every τ rescales the
classifier rows to ``w_c / ||w_c||^τ`` (no bias) and is scored (top-1,
balanced accuracy, many/medium/few-shot). The best τ is printed as
``--cfg-options model.head.tau_norm=τ`` for tools/test.py, and
``--save-checkpoint`` writes a checkpoint whose classifier is already
τ-normalised. Logic: :mod:`mmlt.apis.tau_norm_search`.
"""
import mmlt  # noqa: F401  (compat fixes and registration before configs)
from mmlt.apis.tau_norm_search import main

if __name__ == '__main__':
    main()
