# CPU-scale sibling: tiny U-Net (4 stages, 16 channels), 128 px, batch 8,
# 500 iterations, validation at 250 and 500. Run the CPU pretraining first.
# Why 500: from scratch on the synthetic knee set this GN+WS U-Net predicts
# only background until ~300-450 iterations (foreground Dice 0.0 at 150 and
# 300, 93.9 at 450; CE + batch Dice, Adam 1e-3), so 150 iterations measured
# nothing.
_base_ = ['./unet-s5-d16_context-restoration-pre_adam-lr1e-3-10k_knee-us-256.py']

crop_size = (128, 128)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone={{_base_.unet_tiny}},
    decode_head=dict(in_channels=16, in_index=3, channels=16))
train_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='LoadUSAnnotations'),
    dict(type='USRandomResizedCrop', size=crop_size, scale=(0.5, 1.0),
         ratio=(3. / 4., 4. / 3.)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadUSAnnotations'),
    dict(type='PackSegInputs'),
]
# Data loading in the main process: on 2 cores, worker processes compete
# with the compute threads (no faster), and torch waits 5 s per worker to
# shut them down at the end of each run (bench_cpu_siblings.py, README).
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(
    batch_size=8, **loader, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))
param_scheduler = [
    dict(type='MultiStepLR', milestones=[450], gamma=0.1, by_epoch=False)
]
train_cfg = dict(max_iters=500, val_interval=250)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=500, max_keep_ckpts=1))
pretrained_encoder = dict(
    checkpoint='work_dirs/context-restoration_unet-tiny_1xb8-adam-120it'
    '_knee-us-128_cpu/iter_120.pth',
    mode='encoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
