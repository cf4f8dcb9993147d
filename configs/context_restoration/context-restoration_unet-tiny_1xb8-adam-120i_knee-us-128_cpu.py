# CPU-scale sibling: 4-stage, 16-channel U-Net, 128 px, batch 8, 120 iters.
_base_ = ['./context-restoration_unet-s5-d16_1xb16-adam-10k_knee-us-256.py']

crop_size = (128, 128)
model = dict(
    backbone={{_base_.unet_tiny}},
    head=dict(in_channels=16))
# Data loading in the main process: on 2 cores, worker processes compete
# with the compute threads (no faster), and torch waits 5 s per worker to
# shut them down at the end of each run (bench_cpu_siblings.py, README).
train_dataloader = dict(
    num_workers=0, persistent_workers=False, batch_size=8,
    dataset=dict(pipeline=[
        dict(type='LoadUSImage'),
        dict(type='Resize', scale=crop_size, keep_ratio=False),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='ContextRestorationCorruption', patch_size=32,
             sampling='poisson', min_area_ratio=0.25, num_precomputed=100),
        dict(type='PackInputs', algorithm_keys=['gt_img', 'corruption_mask']),
    ]))
param_scheduler = [
    dict(type='MultiStepLR', milestones=[100], gamma=0.1, by_epoch=False)
]
train_cfg = dict(max_iters=120)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=120, max_keep_ckpts=1))
