# The data of the recipes in configs/recipes/: your own images and CSVs, as
# in own_csv_bs32.py (GroupAnnotationDataset; classes.txt, train.csv,
# val.csv, test.csv and images/ in one folder; the 60x80-pixel images
# resized to 80x60 (width x height); the test split from its own CSV). Every
# recipe takes its data folder and class count from the two lines below:
# change them, nothing else, and the recipes train on your data.
_base_ = ['./own_csv_bs32.py']
data_root = 'data/own'  # the folder of classes.txt, the CSVs and images/
num_classes = 44  # lines of data_root/classes.txt (checked at start)
# The classes, their names and label order, are the lines of
# data_root/classes.txt; labels in the CSVs are names or indices.
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
