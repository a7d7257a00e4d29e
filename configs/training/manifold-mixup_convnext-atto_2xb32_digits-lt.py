# The digits demo with manifold mixup (Verma et al., ICML 2019) at the
# output of ConvNeXt's second stage (alpha=1 as Bag of Tricks for long-tailed
# recognition, Zhang et al., AAAI 2021), then 'fine-tune after mixup': the
# last 5 epochs without it (BatchAugmentOffHook switches manifold mixup off
# as it does input Mixup/CutMix). The mixed labels are soft gt_score rows:
# the demo's (sigmoid) FocalLoss takes them. Other backbones name their
# stages differently (ResNet / ResNet-32: 'layer2'); a wrong name is refused
# with the list of the backbone's stages.
_base_ = ['../lt/convnext_focal.py']
model = dict(
    type='ManifoldMixupClassifier',
    manifold_mixup=dict(stages='stages.1', alpha=1.0))
default_hooks = dict(
    batch_augment_off=dict(type='BatchAugmentOffHook', num_last_epochs=5))
