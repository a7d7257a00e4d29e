from .base_ensemble import BaseEnsemble, MemberSpec, parse_member_specs
from .group_routed_ensemble import GroupRoutedEnsemble, parse_routes
from .score_ensemble import ScoreEnsemble

__all__ = [
    'BaseEnsemble', 'GroupRoutedEnsemble', 'MemberSpec', 'ScoreEnsemble',
    'parse_member_specs', 'parse_routes'
]
