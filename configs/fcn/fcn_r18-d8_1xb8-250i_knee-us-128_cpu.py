# CPU-scale sibling of fcn_r50-d8_1xb16-40ki_knee-us-256.py (used by the
# quickstart and the tests): ResNet-18-D8, the 128 px data base (128 px
# crops at native scale, batch 8), 250 iterations with one validation at
# the end. Only sizes differ.
_base_ = [
    '../_base_/models/fcn_r50-d8.py',
    '../_base_/datasets/knee-us_seg-128.py',
    '../_base_/schedules/sgd_poly-250i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
train_dataloader = dict(dataset=dict(label_fraction=100))

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=250, max_keep_ckpts=1))
