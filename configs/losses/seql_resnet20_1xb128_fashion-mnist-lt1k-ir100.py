# Softmax equalization loss (Tan et al., CVPR 2020); lambda=5e-3, gamma=0.9
# (the Bag-of-Tricks-LT reference implementation's defaults).
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(loss=dict(
    _delete_=True, type='SoftmaxEQLLoss', freq_threshold=5e-3, gamma=0.9)))
