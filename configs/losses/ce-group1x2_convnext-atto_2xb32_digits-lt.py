# Plan "loss weight 2.0 for group 1": cross-entropy where each group-1 sample
# (on digits-LT: the heaviest-stroke quarter of each class) counts twice.
# Group ids come from the data (DigitsLT group_by='ink'; a group_id column of
# GroupAnnotationDataset); a sample without one is group 0.
_base_ = ['../lt/convnext_focal.py']
model = dict(head=dict(
    group_weight={1: 2.0},
    loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
