"""lt_benchmark: a section's protocol comes from the page's registry, and a
section of one trained protocol refuses the other (its rows would be kept
under the wrong protocol's name)."""
import pytest

from benchmarks.lt_benchmark import parse_args, section_protocol
from benchmarks.page import SECTIONS


def test_the_protocol_defaults_to_the_sections():
    assert section_protocol('lt-losses', None) == 'converged'
    assert section_protocol('finetune-methods', None) == 'finetune'
    # an unregistered section (a one-off --configs run): converged
    assert section_protocol('my-try', None) == 'converged'
    args = parse_args(['--section', 'finetune-methods', '--render-only'])
    assert args.protocol == 'finetune' and args.run_key == 'finetune'
    assert parse_args(['--section', 'lt-losses',
                       '--render-only']).run_key == 'converged'


def test_the_other_trained_protocol_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"section 'finetune-methods' is a "
                       r'section of the finetune protocol .* use --protocol '
                       'finetune'):
        section_protocol('finetune-methods', 'converged')
    with pytest.raises(SystemExit):
        parse_args(['--section', 'lt-losses', '--protocol', 'finetune',
                    '--render-only'])
    # the smoke check goes with any section
    assert section_protocol('finetune-methods', 'smoke') == 'smoke'


def test_every_section_names_a_known_protocol():
    from benchmarks.lt_protocol import PROTOCOLS
    assert {s.protocol for s in SECTIONS} <= set(PROTOCOLS)
    assert any(s.protocol == 'finetune' and s.title for s in SECTIONS)
