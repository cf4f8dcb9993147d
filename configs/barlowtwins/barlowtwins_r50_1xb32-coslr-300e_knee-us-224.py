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
# gain and speckle of ../_base_/datasets/knee_us_mocov2.py (hue, saturation
# and grayscale are no-ops on a gray image).
# The checkpoint's `backbone.` is consumed by
# benchmarks/fcn_r50-d8_1xb16-40k_knee-us-256_barlowtwins.py.
_base_ = [
    '../_base_/models/barlowtwins_r50.py',
    '../_base_/datasets/knee_us_mocov2.py',
    '../_base_/schedules/lars_coslr_200e.py',
    '../_base_/default_runtime.py',
]

crop = 224
lr = 1.6 * 32 / 2048
max_epochs = 300
warmup_epochs = 10

view_pipeline1 = [
    dict(type='USRandomResizedCrop', size=crop, scale=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='USRandomAffine', prob=0.5, max_angle=10, scale=(0.9, 1.1)),
    dict(type='USGainGamma', prob=0.8, gain=(0.7, 1.3), gamma=(0.7, 1.4)),
    dict(type='USDepthGain', prob=0.5, slope=(-0.4, 0.4)),
    dict(type='USSpeckleNoise', prob=0.5, sigma=(0.05, 0.2)),
    dict(type='USGaussianBlur', prob=1.0, sigma=(0.1, 1.5)),
]
view_pipeline2 = [
    dict(type='USRandomResizedCrop', size=crop, scale=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='USRandomAffine', prob=0.5, max_angle=10, scale=(0.9, 1.1)),
    dict(type='USGainGamma', prob=0.8, gain=(0.7, 1.3), gamma=(0.7, 1.4)),
    dict(type='USDepthGain', prob=0.5, slope=(-0.4, 0.4)),
    dict(type='USSpeckleNoise', prob=0.5, sigma=(0.05, 0.2)),
    dict(type='USGaussianBlur', prob=0.1, sigma=(0.1, 1.5)),
]
train_pipeline = [
    dict(type='LoadUSImage'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lr_mult=0.024, lars_exclude=True),
            'bias': dict(decay_mult=0, lr_mult=0.024, lars_exclude=True),
            # bn layer in ResNet block downsample module
            'downsample.1': dict(
                decay_mult=0, lr_mult=0.024, lars_exclude=True),
        }))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1.6e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=lr * 1e-3,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=True, interval=10, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
