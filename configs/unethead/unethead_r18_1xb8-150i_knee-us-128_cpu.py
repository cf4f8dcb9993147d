# CPU-scale sibling of unethead_r50_1xb16-40ki_knee-us-256.py (study scale):
# ResNet-18 + UNetHead with half the decoder widths, the 128 px data base,
# batch 8, 150 SGD-poly iterations validated once at the end (the FCN R18-D8
# CPU row's schedule; it uses batch 4: `--cfg-options
# train_dataloader.batch_size=4` for a like-for-like decoder ablation).
_base_ = [
    '../_base_/models/unethead_r50.py',
    '../_base_/datasets/knee-us_seg-128.py',
    '../_base_/schedules/sgd_poly-150i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=18),
    decode_head=dict(
        in_channels=(64, 128, 256, 512),
        decoder_channels=(128, 64, 32, 16, 16)))
train_dataloader = dict(batch_size=8, dataset=dict(label_fraction=100))
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=150, max_keep_ckpts=1))
