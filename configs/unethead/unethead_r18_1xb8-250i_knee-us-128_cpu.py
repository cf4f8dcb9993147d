# CPU-scale sibling of unethead_r50_1xb16-40ki_knee-us-256.py (study scale):
# ResNet-18 + UNetHead with half the decoder widths, the 128 px data base,
# batch 8, 250 SGD-poly iterations validated once at the end (the FCN R18-D8
# CPU row's schedule and batch: a like-for-like decoder ablation).
_base_ = [
    '../_base_/models/unethead_r50.py',
    '../_base_/datasets/knee-us_seg-128.py',
    '../_base_/schedules/sgd_poly-250i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=18),
    decode_head=dict(
        in_channels=(64, 128, 256, 512),
        decoder_channels=(128, 64, 32, 16, 16)))
train_dataloader = dict(dataset=dict(label_fraction=100))
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=250, max_keep_ckpts=1))
