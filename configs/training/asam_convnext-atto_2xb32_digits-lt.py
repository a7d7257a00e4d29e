# The digits demo with ASAM (Kwon et al., ICML 2021): SAM's neighbourhood
# scaled element-wise by |w| + eta, so that it does not depend on the scale
# of the weights. ASAM needs a larger radius than SAM (Kwon et al.: 0.5 on
# CIFAR-10, 1.0 on CIFAR-100); eta=0.01 as theirs.
_base_ = ['../lt/convnext_focal.py']
optim_wrapper = dict(
    type='SAMOptimWrapper', rho=0.5, adaptive=True, eta=0.01)
