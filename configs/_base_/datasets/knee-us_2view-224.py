# Two ultrasound-safe views of every unlabelled knee training image, 224 px,
# batch 32 (GPU scale), for the contrastive pretexts (DenseCL, MoCo v2,
# SimCLR, SimSiam, Barlow Twins; mmpretrain scope). val/test images never
# enter pretraining. The CPU scale is knee-us_2view-128.py.
#
# The ussl_mm channel convention, shared with the fine-tuning bases
# (knee-us_seg-256.py): gray replicated to 3 channels by LoadUSImage,
# BGR->RGB in the preprocessor, the same gray mean/std on every channel.
data_root = 'data/knee_us/'
# Gray-level mean/std of the synthetic default train set (240 images, 256 px,
# seed 0): 114.18 / 79.95. Recompute for your own data.
mean = [114.18, 114.18, 114.18]
std = [79.95, 79.95, 79.95]

# Ultrasound-safe view (mmpretrain's MoCo v2 view, made safe): no
# hue/saturation/grayscale (the image is gray), no vertical flip (depth has
# physics on it), only mild monotone intensity changes (echogenicity is the
# signal).
view_pipeline = [
    dict(type='USRandomResizedCrop', size=224, scale=(0.2, 1.0)),
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

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='UnlabelledImageDataset',
        data_root=data_root,
        roots=['img_dir/train'],
        exclude=['img_dir/val', 'img_dir/test'],
        pipeline=train_pipeline))

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=mean,
    std=std,
    to_rgb=True)
