# Barlow Twins pretraining of a plain-stem ResNet-50 on knee ultrasound (GPU
# scale): mmpretrain's ImageNet recipe (LARS momentum 0.9, wd 1e-6; BN/bias
# at lr x 0.024 without decay or trust ratio; 10 warm-up epochs from
# lr x 1.6e-4, cosine to lr x 1e-3; 300 epochs; 8192-d projector,
# lambda 0.0051) at batch 32 (1 GPU x 32), lr 1.6 * 32 / 2048 (mmpretrain's
# 1.6 is for 8 x 256 = 2048). 300 epochs is mmpretrain's shortest Barlow
# Twins schedule; for an equal budget with the 200-epoch methods set
#   --cfg-options train_cfg.max_epochs=200 param_scheduler.1.T_max=190
#   param_scheduler.1.end=200
# Barlow Twins needs no negatives; the paper reports a small loss at batch
# 256 vs 2048, but a 8192 x 8192 cross-correlation estimated from 32 pairs
# is noisy: raise the batch if the memory allows (and the lr with it).
#
# Views, asymmetric as in mmpretrain's BYOL/Barlow Twins pipeline, with our
# ultrasound transforms only: view 1 always blurred, view 2 rarely (p 1.0 /
# 0.1, as the paper). Solarization (p 0 / 0.2 in the paper) is left out:
# inverting every pixel above a threshold turns bright echoes dark, i.e.
# reverses echogenicity, the signal that tells fluid (anechoic) from
# tissue. Colour jitter is replaced by the milder monotone gain/gamma, depth
# gain and speckle of ../_base_/datasets/knee-us_2view-224.py (hue,
# saturation and grayscale are no-ops on a gray image).
# The checkpoint's `backbone.` is consumed by
# benchmarks/fcn_r50-d8_1xb16-40ki_knee-us-256_barlowtwins.py.
_base_ = [
    '../_base_/models/barlowtwins_r50.py',
    '../_base_/datasets/knee-us_2view-224.py',
    '../_base_/schedules/lars_coslr-200e.py',
    '../_base_/default_runtime.py',
]

lr = 1.6 * 32 / 2048

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
    dict(
        type='LinearLR',
        start_factor=1.6e-4,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=290,
        eta_min=lr * 1e-3,
        by_epoch=True,
        begin=10,
        end=300,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=300)

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(by_epoch=True, interval=10))
log_processor = dict(by_epoch=True)
