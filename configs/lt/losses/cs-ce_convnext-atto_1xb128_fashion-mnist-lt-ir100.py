# Cost-sensitive cross-entropy: class weights ∝ 1/n_c (sum C).
# Fashion-MNIST-LT (IR 100).
_base_ = ['../convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py']
model = dict(head=dict(
    loss=dict(_delete_=True, type='CostSensitiveCELoss', power=1.0)))
