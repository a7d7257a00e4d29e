# The oracle of mmlt's benchmark protocol (docs/benchmarks.md): the
# cross-entropy baseline, same ResNet-20, recipe and 60 epochs, trained on a
# balanced draw of the same size instead of the long-tailed one: 248 images
# per class, 2,480 in all (the long-tailed draw keeps 2,478: 1000 ... 10).
# What "closing the gap" is measured against: each long-tail table's column
# "share of the CE→oracle gap closed" is (row − ce) / (oracle − ce) in
# balanced test accuracy.
#
# The same source images, split and test set as the long-tailed protocol:
# LongTailDataset with imbalance ratio 1 keeps the first 248 images of each
# class's seed-0 shuffle, the same shuffles the long-tailed draw keeps its
# first n_c of (so the two draws are nested class by class); the validation
# split is the last 100 images of the same shuffles, identical to the
# long-tailed config's and disjoint from both draws (LongTailDataset checks
# that 248 + 100 images fit in every class;
# tests/test_config_oracle.py checks the indices).
_base_ = ['./resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']

balanced_draw = dict(imbalance_ratio=1, profile='exp', max_count=248, seed=0)
train_dataloader = dict(dataset=balanced_draw)
val_dataloader = dict(dataset=balanced_draw)

# Many/medium/few are the long-tailed protocol's bins (5, 3 and 2 classes),
# taken from its profile rather than from these training counts (248 each,
# which would make every class many-shot), so the oracle's bins name the
# same classes as every long-tailed row's.
protocol_shot_bins = dict(
    num_classes=10, max_count=1000, imbalance_ratio=100, profile='exp')
val_evaluator = dict(shot_bin_counts=protocol_shot_bins)
test_evaluator = dict(shot_bin_counts=protocol_shot_bins)
