# Cost-sensitive cross-entropy: class weights ∝ 1/n_c (sum C); the loss is
# divided by the sum of the batch's class weights, as Bag-of-Tricks-LT's
# F.cross_entropy(weight=...) does (class_weight_norm='weight_sum').
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(
    loss=dict(_delete_=True, type='CostSensitiveCELoss', power=1.0,
              class_weight_norm='weight_sum')))
