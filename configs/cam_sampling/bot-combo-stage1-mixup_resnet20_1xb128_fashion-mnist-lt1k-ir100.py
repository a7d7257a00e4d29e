# Bag of Tricks' best combination (Zhang et al., AAAI 2021), stage 1 of 2:
# cross-entropy with input mixup for the whole schedule, instance sampling.
# alpha = 1.0: the paper's input-mixup setting (the official configs, e.g.
# BagofTricks-LT configs/.../IM-DRSwithCAMbasedsampling-Finetune/
# first_stage.yaml, COMBINER mix_up ALPHA 1.0). Mixup makes soft labels:
# CrossEntropyLoss(use_soft=True). Fashion-MNIST-LT (IR 100).
# Stage 2 and the commands: bot-combo_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(loss=dict(
    _delete_=True, type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
data_preprocessor = dict(batch_augments=dict(
    augments=[dict(type='Mixup', alpha=1.0)]))
