from .sam_optim_wrapper import (AmpSAMOptimWrapper, SAMOptimWrapper,
                                sam_perturbation)

__all__ = ['AmpSAMOptimWrapper', 'SAMOptimWrapper', 'sam_perturbation']
