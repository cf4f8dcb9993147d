# CPU-scale sibling of barlowtwins_r50_1xb32-coslr-300e_knee-us-224.py (used
# by the quickstart and the tests): ResNet-18, the 128 px two-view base
# (batch 16), 200 iterations (10 warm-up), lr 1.6 * 16 / 2048, 1024-d
# projector (an 8192 x 8192 layer alone would cost more than the ResNet-18
# on CPU). Only sizes differ; the asymmetric views and the BN/bias lr_mult
# of the GPU config are restated because this sibling cannot inherit it
# (its data and schedule bases are the CPU ones).
_base_ = [
    '../_base_/models/barlowtwins_r50.py',
    '../_base_/datasets/knee-us_2view-128.py',
    '../_base_/schedules/lars_coslr-200i.py',
    '../_base_/default_runtime.py',
]

lr = 1.6 * 16 / 2048
model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=1024, out_channels=1024),
    head=dict(in_channels=1024))

# The base's ultrasound-safe view with its blur (last entry) always on in
# view 1 and rare in view 2.
view_pipeline1 = [
    *_base_.view_pipeline[:-1],
    dict(type='USGaussianBlur', prob=1.0, sigma=(0.1, 1.5))
]
view_pipeline2 = [
    *_base_.view_pipeline[:-1],
    dict(type='USGaussianBlur', prob=0.1, sigma=(0.1, 1.5))
]
train_pipeline = _base_.train_pipeline
train_pipeline[1] = dict(
    type='MultiView',
    num_views=[1, 1],
    transforms=[view_pipeline1, view_pipeline2])
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# BN and bias at lr x 0.024 (besides the schedule's no decay, no trust ratio).
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(lr_mult=0.024),
            'bias': dict(lr_mult=0.024),
            'downsample.1': dict(lr_mult=0.024),
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.6e-4, by_epoch=False, begin=0,
         end=10),
    dict(type='CosineAnnealingLR', T_max=190, eta_min=lr * 1e-3,
         by_epoch=False, begin=10, end=200)
]

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=200, max_keep_ckpts=1))
