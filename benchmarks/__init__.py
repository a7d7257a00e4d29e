"""The scripts that write docs/benchmarks.md (not part of mmlt; run them
from the repository root as ``python -m benchmarks.<command>``).

One direction, bottom to top (tests/test_benchmarks/test_package_layout.py
keeps it: no import cycle, nothing imports a command, only a command
imports a section module):

- the floor: ``page`` (the one registry of the page's sections, their
  order and the writer that keeps it) and ``common`` (repository root,
  machine, code provenance), which import nothing of the package;
- readers: ``lt_logs`` (a run's logs and statistics), ``lt_archive`` (the
  run records under ``benchmarks/results``), ``lt_curves`` (training curves
  and the convergence criterion), ``noise`` (the page's noise rule),
  ``lt_results`` (the kept runs as the evidence sections read them),
  ``lt_tables`` (tables the sections share), ``lt_gap`` (the share of
  the CE→oracle gap a row closes), ``timing`` (paired timing),
  ``advisor_measure`` (the method advisor's predictions and their test-set
  measurement, on arrays);
- the harness of ``lt_benchmark``: ``lt_rows`` (a row and its chaining),
  ``lt_runs`` (training and testing a row), ``lt_recipes``,
  ``lt_combinations`` (with the protocols' oracles) and ``lt_protocol``
  (the protocols and the planned sections' rows),
  ``lt_render`` (a section's table and header);
- one module per evidence section: ``convergence``, ``paper_signs``,
  ``group_lift``, ``recipe_direction``, ``focal_decomposition``
  (focal-tail), ``ib_lr_drop`` (ib-switch), ``mixup_bias``,
  ``recipe_oracles``, ``regimes``
  (also the README's table of it), ``advisor_render`` (advisor-check) and
  ``advisor_group_render`` (advisor-group-lift), for their command;
- the commands: ``lt_benchmark`` (train, test and render a table section),
  ``lt_evidence`` (render the evidence sections), ``bench_losses``,
  ``bench_sampler``, ``bench_overhead``, ``bench_export``,
  ``bench_label_issues``, ``group_probe``, ``pretrained_probe``,
  ``own_data_kfold``, ``advisor_check`` (each writes its own section) and
  ``sync_config_results`` (copies rows into the configs' READMEs and
  metafiles).

A new section is an entry in ``page.SECTIONS`` at the place a reader should
meet it, and the module that renders it: an evidence section a module with
``render(results) -> str`` named as the entry's ``renderer`` (and
``lt_evidence --sections`` offers it; a module that reads several
protocols' runs names them in ``PROTOCOLS`` and takes one results each), a
planned table section a title in the entry and its rows in
``lt_protocol.ROWS``.
"""
