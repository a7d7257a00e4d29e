"""The method advisor's logic (``tools/analysis_tools/advise.py``): fixes
for the tail classes and a group that need no retraining (post-hoc logit
adjustment, τ-normalisation, a learned per-class or per-group logit bias,
temperature scaling, a shift to a known or estimated deployment prior),
each tuned and scored on disjoint images (cross-fitting) of the user's own
held-out or out-of-fold predictions, with paired bootstrap intervals of its
change against the model as it is. Pure functions on arrays, one concept
per module; :mod:`.inputs` runs the model, :mod:`.advisor` puts it
together, :mod:`.report` writes it. Import the submodules directly."""
