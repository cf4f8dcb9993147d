# CPU-scale sibling of
# dense-contrastive_unet-s5-d16_1xb16-adam-10ki_knee-us-256.py: same recipe,
# smaller sizes: the 4-stage, 16-channel U-Net (`unet_tiny`, the neck
# follows its width), 128 px images, 64 px views, batch 16, 200 iterations.
_base_ = [
    '../_base_/models/dense-contrastive_unet-s5-d16.py',
    '../_base_/datasets/knee-us_dense-contrastive-128.py',
    '../_base_/schedules/adam-200i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=_base_.unet_tiny,
    neck=dict(in_channels=16, hid_channels=64, out_channels=32))
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=200, max_keep_ckpts=1))
