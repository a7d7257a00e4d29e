# Stage 2 of deferred re-sampling with CAM-based balance-sampling (Zhang et
# al., "Bag of Tricks for Long-Tailed Visual Recognition with Deep
# Convolutional Neural Networks", AAAI 2021), as one block for any stage-1
# config: class-balanced sampling from the first epoch of the stage over the
# long-tailed set plus its CAM images, the class counts from the long-tailed
# set alone, and a strict load of the stage-1 model. MMEngine refuses the
# same key in two bases, so the block is one dict; a DRS-CAM config inherits
# its stage-1 config and this file and takes the fields:
#   train_dataloader = dict(
#       dataset=..., sampler={{_base_.drs_cam_stage2.sampler}})
#   default_hooks = {{_base_.drs_cam_stage2.default_hooks}}
drs_cam_stage2 = dict(
    # instance sampling until DeferredResamplingHook switches it
    sampler=dict(
        _delete_=True, type='RebalancedSampler', strategy='instance'),
    default_hooks=dict(
        # class counts (head, shot bins) from the long-tailed set alone,
        # not the generated images (dataset 0 of the ConcatDataset)
        long_tail_context=dict(count_datasets=[0]),
        # class-balanced from the first epoch of this stage
        deferred_resampling=dict(
            type='DeferredResamplingHook',
            switch_epoch=0,
            strategy='class_balanced'),
        # this stage continues the stage-1 model: every tensor of it must
        # load (LoadFromCheckHook stops otherwise; bot-combo_* inherit this)
        load_from_check=dict(strict=True),
    ),
)
