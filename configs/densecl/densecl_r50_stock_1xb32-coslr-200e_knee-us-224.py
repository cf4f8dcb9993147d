# mmpretrain's STOCK DenseCL recipe, as published
# (mmpretrain::densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py: MoCo v2
# ImageNet views with colour jitter and random grayscale, ImageNet mean/std,
# SGD lr 0.03 cosine for 8 x 32 images, key momentum 0.001, temperature 0.2,
# queue 65,536, 200 epochs), GPU scale, on the knee images: only the data
# set is ours. It is the reference row that ussl_mm's ultrasound-specific
# DenseCL (densecl_r50_1xb32-coslr-200e_knee-us-224.py) must beat; its CPU
# scale is densecl_r18_stock_1xb16-coslr-200i_knee-us-128_cpu.py. On fewer
# than 8 GPUs scale the lr as mmpretrain's --auto-scale-lr does:
#   --cfg-options auto_scale_lr.enable=True
_base_ = ['mmpretrain::densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py']
# The library runtime replaces ours, so the one import our runtime carries
# is stated here (it registers UnlabelledImageDataset).
custom_imports = dict(imports=['ussl_mm'], allow_failed_imports=False)
# Crash-safe checkpoints with the random state (ussl_mm's hook; the
# library runtime names mmengine's).
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))

train_dataloader = _base_.train_dataloader
train_dataloader.dataset = dict(
    type='UnlabelledImageDataset',
    data_root='data/knee_us/',
    roots=['img_dir/train'],
    exclude=['img_dir/val', 'img_dir/test'],
    pipeline=_base_.train_pipeline)
