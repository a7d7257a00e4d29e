from .rebalanced_sampler import RebalancedSampler
from .sampling_probs import STRATEGIES, class_probabilities

__all__ = ['RebalancedSampler', 'STRATEGIES', 'class_probabilities']
