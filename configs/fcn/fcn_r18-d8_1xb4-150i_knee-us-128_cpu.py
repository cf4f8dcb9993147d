# CPU-scale sibling of fcn_r50-d8_1xb16-40k_knee-us-256_scratch.py (used by
# the quickstart and the tests): ResNet-18-D8, 128 px, batch 4,
# 150 iterations, no intermediate validation. Only sizes differ.
_base_ = ['./fcn_r50-d8_1xb16-40k_knee-us-256_scratch.py']

crop_size = (128, 128)
max_iters = 150

model = dict(
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))

train_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='LoadUSAnnotations'),
    dict(type='USRandomResizedCrop', size=crop_size, scale=(0.5, 1.0),
         ratio=(3. / 4., 4. / 3.)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='USRandomAffine', prob=0.5, max_angle=10, scale=(0.9, 1.1)),
    dict(type='USGainGamma', prob=0.8, gain=(0.8, 1.2), gamma=(0.8, 1.25)),
    dict(type='USDepthGain', prob=0.3, slope=(-0.3, 0.3)),
    dict(type='USSpeckleNoise', prob=0.3, sigma=(0.05, 0.15)),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadUSAnnotations'),
    dict(type='PackSegInputs'),
]
data_preprocessor = dict(size=crop_size)
# Data loading in the main process: on 2 cores, worker processes compete
# with the compute threads (no faster), and torch waits 5 s per worker to
# shut them down at the end of each run (bench_cpu_siblings.py, README).
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))

param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters, save_best=None))
