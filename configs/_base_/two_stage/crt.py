# Stage 2 of decoupled training: classifier re-training (cRT) of Kang et al.,
# "Decoupling Representation and Classifier for Long-Tailed Recognition",
# ICLR 2020, as one block for any stage-1 config. MMEngine refuses the same
# key in two bases, so the block is one dict; a cRT config inherits its
# stage-1 config and this file and takes the fields it needs:
#   _base_ = ['../baselines/<stage 1>.py', '../_base_/two_stage/crt.py']
#   load_from = 'work_dirs/<stage 1>/epoch_<E>.pth'
#   train_dataloader = dict(sampler={{_base_.crt_stage2.sampler}})
#   default_hooks = {{_base_.crt_stage2.default_hooks}}
#   param_scheduler = {{_base_.crt_stage2.param_scheduler}}
#   train_cfg = {{_base_.crt_stage2.train_cfg}}
crt_stage2 = dict(
    # class-balanced sampling (q=0): every class equally likely
    sampler=dict(
        _delete_=True, type='RebalancedSampler', strategy='class_balanced'),
    default_hooks=dict(
        # default trainable: the head's classifier (head.fc)
        classifier_retrain=dict(type='ClassifierRetrainHook', reinit=True),
        # the frozen representation is the stage-1 checkpoint's: every
        # tensor of it must load (LoadFromCheckHook stops otherwise)
        load_from_check=dict(strict=True),
    ),
    # stage 1's optimizer; one cosine decay to 0 over the stage (the
    # authors: cosine from 0.2 to 0 with SGD), so train_cfg.max_epochs=E
    # alone re-times it
    param_scheduler=[
        dict(
            type='CosineAnnealingLR',
            by_epoch=True,
            begin=0,
            eta_min=0.,
            convert_to_iter_based=True),
    ],
    # 10 epochs, as the authors' cRT config
    train_cfg=dict(by_epoch=True, max_epochs=10, val_interval=5),
)
