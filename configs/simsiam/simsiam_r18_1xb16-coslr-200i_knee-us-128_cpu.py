# CPU-scale sibling of simsiam_r50_1xb32-coslr-200e_knee-us-224.py (used by
# the quickstart and the tests): ResNet-18, 128 px views, batch 16,
# 200 iterations, projector/predictor widths shrunk with the backbone
# (512-d, 128-d bottleneck: the paper's 4:1 ratio). Only sizes differ.
_base_ = ['./simsiam_r50_1xb32-coslr-200e_knee-us-224.py']

crop = 128
batch_size = 16
max_iters = 200
lr = 0.05 * batch_size / 256

model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512, out_channels=512),
    head=dict(
        predictor=dict(in_channels=512, hid_channels=128, out_channels=512)))

view_pipeline = [
    dict(type='USRandomResizedCrop', size=crop, scale=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='USRandomAffine', prob=0.5, max_angle=10, scale=(0.9, 1.1)),
    dict(type='USGainGamma', prob=0.8, gain=(0.7, 1.3), gamma=(0.7, 1.4)),
    dict(type='USDepthGain', prob=0.5, slope=(-0.4, 0.4)),
    dict(type='USSpeckleNoise', prob=0.5, sigma=(0.05, 0.2)),
    dict(type='USGaussianBlur', prob=0.5, sigma=(0.1, 1.5)),
]
train_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
# Data loading in the main process: on 2 cores, worker processes compete
# with the compute threads (no faster), and torch waits 5 s per worker to
# shut them down at the end of each run (bench_cpu_siblings.py, README).
train_dataloader = dict(
    num_workers=0, persistent_workers=False, batch_size=batch_size,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(lr=lr))
# Iteration-based run: the hook must re-fix the predictor lr every
# iteration (the cosine scheduler steps every iteration).
custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr,
         adjust_by_epoch=False)
]
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False, begin=0,
         end=max_iters)
]
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(base_batch_size=batch_size)
