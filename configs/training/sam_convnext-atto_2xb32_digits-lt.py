# The digits demo (configs/lt/convnext_focal.py) trained with SAM
# (Foret et al., ICLR 2021): each step takes the gradient at the worst point
# of a rho-ball around the weights (two forward/backward passes per batch,
# about twice the time). SAMOptimWrapper wraps the demo's AdamW; clip_grad
# applies to the second pass's gradients. Under DDP the first pass is local
# to each process (no all-reduce, SAM's m-sharpness), the second all-reduced.
# With --amp use type='AmpSAMOptimWrapper' (mmlt's tools switch it).
_base_ = ['../lt/convnext_focal.py']
optim_wrapper = dict(
    type='SAMOptimWrapper',
    rho=0.05,  # Foret et al.'s default
)
