# EfficientNet-Lite0 trained from scratch (random initialisation) with
# cross-entropy on the fine-tuning protocol's data (Fashion-MNIST-LT, IR 100,
# at 80x60, three equal channels): the row that shows what the ImageNet
# weights of efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py buy. From scratch, the network needs the from-scratch
# protocol's learning rate (SGD lr 0.1 for 128 images, so 0.05 for 64, weight
# decay 2e-4) and a longer schedule than fine-tuning: 30 epochs (the
# section finetune-methods says whether that converged).
_base_ = ['./efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py']
model = dict(backbone=dict(init_cfg=None))
optim_wrapper = dict(optimizer=dict(lr=0.05, weight_decay=2e-4))
train_cfg = dict(max_epochs=30)
