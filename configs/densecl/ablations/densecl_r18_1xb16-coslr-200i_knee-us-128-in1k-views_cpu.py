# Recipe ablation (configs/study/recipe_ablation_knee_us.py): ussl_mm's CPU
# DenseCL with mmpretrain's MoCo v2 ImageNet views (random resized crop,
# colour jitter 0.4/0.4/0.4/0.1 with p 0.8, random grayscale p 0.2, Gaussian
# blur p 0.5, flip; mmpretrain::_base_/datasets/imagenet_bs32_mocov2.py) in
# place of the ultrasound-safe views; everything else (normalisation, lr,
# queue, momentum) as densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py.
_base_ = [
    '../../_base_/models/densecl_r50.py',
    '../../_base_/datasets/knee-us_2view-128.py',
    '../../_base_/schedules/sgd_coslr-200i.py',
    '../../_base_/default_runtime.py',
]

# As densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py (listed again, not
# inherited, to stay within three files of inheritance).
model = dict(
    queue_len=256,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=200, max_keep_ckpts=1))

view_pipeline = [
    dict(type='RandomResizedCrop', scale=128, crop_ratio_range=(0.2, 1.),
         backend='pillow'),
    dict(type='RandomApply',
         transforms=[
             dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                  saturation=0.4, hue=0.1)
         ],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf',
         prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = _base_.train_dataloader
train_dataloader.dataset.pipeline[1].transforms = [view_pipeline]
