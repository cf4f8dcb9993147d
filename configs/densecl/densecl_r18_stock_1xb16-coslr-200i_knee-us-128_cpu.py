# mmpretrain's STOCK DenseCL recipe, as published
# (mmpretrain::densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py: MoCo v2
# ImageNet views with colour jitter and random grayscale, ImageNet mean/std,
# SGD lr 0.03 cosine, key momentum 0.001, temperature 0.2), run on the knee
# images at the CPU study's scale. Only scale changes: ResNet-18 (neck
# channels follow), 128 px views, batch 16, 200 iterations, queue 1024 (the
# published 65,536 is more keys than 200 x 16 iterations ever produce, so
# most of the queue would stay random); plus the data set, which is ours.
# It is the reference row that ussl_mm's ultrasound-specific DenseCL
# (densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py) must beat.
_base_ = ['mmpretrain::densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py']
# The library runtime replaces ours, so the one import our runtime carries
# is stated here (it registers UnlabelledImageDataset).
custom_imports = dict(imports=['ussl_mm'], allow_failed_imports=False)

max_iters = 200
model = dict(
    queue_len=1024,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))

train_dataloader = _base_.train_dataloader
train_dataloader.batch_size = 16
train_dataloader.num_workers = 0
train_dataloader.persistent_workers = False
train_dataloader.sampler = dict(type='InfiniteSampler', shuffle=True)
train_dataloader.dataset = dict(
    type='UnlabelledImageDataset',
    data_root='data/knee_us/',
    roots=['img_dir/train'],
    exclude=['img_dir/val', 'img_dir/test'],
    pipeline=_base_.train_pipeline)
train_dataloader.dataset.pipeline[1].transforms[0][0].scale = 128

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False, begin=0,
         end=max_iters)
]
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(type='AtomicCheckpointHook', by_epoch=False,
                    interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
