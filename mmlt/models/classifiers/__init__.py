from .base_ensemble import BaseEnsemble, MemberSpec, parse_member_specs
from .group_routed_ensemble import GroupRoutedEnsemble, parse_routes
from .manifold_mixup import (ManifoldMixup, ManifoldMixupClassifier,
                             mix_batch, mixed_scores, stage_names)
from .score_ensemble import ScoreEnsemble

__all__ = [
    'BaseEnsemble', 'GroupRoutedEnsemble', 'MemberSpec', 'ScoreEnsemble',
    'parse_member_specs', 'parse_routes', 'ManifoldMixup',
    'ManifoldMixupClassifier', 'mix_batch', 'mixed_scores', 'stage_names'
]
