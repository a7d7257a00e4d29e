import pytest

from benchmarks import sync_config_results as sync

DOC = """intro
<!-- bench:lt-x:start -->
## Title X

| config | seeds | top-1 | balanced | many | medium | few | macro-F1 |
|---|---:|---:|---:|---:|---:|---:|---:|
| ce | 3 | 80.00 ± 1.00 | 80.50 ± 1.00 | 90.00 ± 0.50 | 70.00 ± 2.00 | 60.00 ± 3.00 | 79.00 ± 1.00 |
| ldam | 3 | 82.00 ± 1.00 | 82.50 ± 1.00 | 89.00 ± 0.50 | 75.00 ± 2.00 | n/a | 81.00 ± 1.00 |

Rows: ce: `configs/baselines/ce.py`; ldam: `configs/losses/ldam.py` (after x).
<!-- bench:lt-x:end -->
<!-- bench:speed:start -->
## Not a results table
<!-- bench:speed:end -->
"""


def test_read_sections_keeps_tables_with_rows_lines():
    sections = sync.read_sections(DOC)
    assert [s.key for s in sections] == ['lt-x']
    s = sections[0]
    assert s.title == 'Title X'
    assert s.configs == {'ce': 'configs/baselines/ce.py',
                         'ldam': 'configs/losses/ldam.py'}
    assert s.cells['ldam']['few'] == 'n/a'


def test_model_results_copy_the_cells():
    sections = sync.read_sections(DOC)
    model = dict(Name='ldam', Config='configs/losses/ldam.py',
                 Metadata={'Training Data': 'D', 'Epochs': 60})
    (result, ) = sync.model_results(model, sections)
    assert result['Metrics'] == {
        'Top 1 Accuracy': 82.0, 'Balanced Accuracy': 82.5,
        'Many-Shot Accuracy': 89.0, 'Medium-Shot Accuracy': 75.0,
        'Macro-F1': 81.0}
    assert result['Seeds'] == 3 and result['Epochs'] == 60
    assert result['Source'].endswith('section bench:lt-x ("Title X"), '
                                     'row ldam')
    other = dict(model, Config='configs/losses/other.py')
    assert sync.model_results(other, sections) == []


def test_readme_results_carry_the_baseline_row():
    sections = sync.read_sections(DOC)
    body = sync.readme_results(['configs/losses/ldam.py'], sections)
    table = [line for line in body.splitlines() if line.startswith('| ')]
    assert table[1].startswith('| ce |') and table[2].startswith('| ldam |')
    assert 'bench:lt-x' in body
    assert sync.readme_results(['configs/x.py'], sections) == \
        sync.NO_ROWS + '\n'


def test_replace_results_section():
    readme = '# T\n\n## Results\n\nold\n\n## Commands\n\nx\n'
    new = sync.replace_results(readme, 'new\n', 'R.md')
    assert new == '# T\n\n## Results\n\nnew\n\n## Commands\n\nx\n'
    with pytest.raises(ValueError, match='R.md has no "## Results"'):
        sync.replace_results('# T\n', 'new\n', 'R.md')


def test_repository_readmes_and_metafiles_match_the_docs(capsys):
    # python -m benchmarks.sync_config_results was run after the last
    # change of docs/benchmarks.md
    assert sync.main(['--check']) == 0, capsys.readouterr().out


def test_recipe_rows_are_not_the_metafile_models_results():
    doc = DOC.replace('lt-x', 'recipes')
    (section, ) = sync.read_sections(doc)
    model = dict(Name='ldam', Config='configs/losses/ldam.py',
                 Metadata={'Training Data': 'your own images', 'Epochs': 30})
    assert sync.model_results(model, [section]) == []
    # the README still carries the row, with the section named
    body = sync.readme_results(['configs/losses/ldam.py'], [section])
    assert '| ldam | 3 | 82.00 ± 1.00 |' in body and 'bench:recipes' in body


GROUP_DOC = """<!-- bench:group-lift-rare:start -->
## Rare

| config | seeds | group 1 | group 0 | balanced | few | s/epoch |
|---|---:|---:|---:|---:|---:|---:|
| ce-rare | 3 | 51.00 ± 1.00 | 77.00 ± 1.00 | 64.00 ± 1.00 | 37.00 ± 5.00 | 5.7 ± 0.3 |
| routed-rare | 3 | 54.00 ± 1.00 | 77.50 ± 1.00 | 65.00 ± 1.00 | n/a | n/a |

Rows: ce-rare: `configs/group_lift/ce.py`; routed-rare: `configs/ensemble/routed.py` (x).
<!-- bench:group-lift-rare:end -->
"""


def test_group_lift_rows_carry_the_groups_the_case_and_their_baseline():
    sections = sync.read_sections(GROUP_DOC)
    model = dict(Name='routed', Config='configs/ensemble/routed.py',
                 Metadata={'Training Data': 'FM group lift', 'Epochs': 60})
    (result, ) = sync.model_results(model, sections)
    assert result['Metrics'] == {'Balanced Accuracy': 65.0,
                                 'Group 1 Accuracy': 54.0,
                                 'Group 0 Accuracy': 77.5}
    assert result['Dataset'] == 'FM group lift, rare group 1'
    body = sync.readme_results(['configs/ensemble/routed.py'], sections)
    table = [line for line in body.splitlines() if line.startswith('| ')]
    # the case's cross-entropy row first
    assert table[1].startswith('| ce-rare |')
    assert table[2].startswith('| routed-rare |')
    assert sync.baseline_row('lt-losses') == 'ce'
    assert sync.group_lift_case('lt-losses') is None
    assert sync.group_lift_case('finetune-group-lift-rare') == 'rare'
    assert 'finetune-recipes' in sync.NOT_THE_METAFILE_MODEL
