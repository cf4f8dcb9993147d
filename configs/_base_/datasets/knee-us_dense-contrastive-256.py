# Two overlapping views of every unlabelled knee training image, with their
# crop boxes and flips, for dense contrastive pretraining with known
# correspondence (DenseContrastiveUNet; mmpretrain scope). 256 px images,
# 128 px views, batch 16 (GPU scale; the CPU scale is
# knee-us_dense-contrastive-128.py). val/test images never enter
# pretraining.
#
# TwoViewCrop: each view a random crop of 15-70 % of the image area (at
# 256 px -> 128 px views: 0.6-1.3x the native scale, inside the fine-tuning
# recipe's 0.5-2x rescaling), the two overlapping by >= 30 % of the smaller
# one, each flipped laterally on its own; then, per view, the ultrasound-
# safe intensity changes of knee-us_2view-224.py (no geometry: it would
# break the recorded correspondence).
data_root = 'data/knee_us/'
view_size = 128
# Gray-level mean/std of the synthetic default train set (as
# knee-us_seg-256.py). Recompute for your own data.
mean = [114.18, 114.18, 114.18]
std = [79.95, 79.95, 79.95]

view_pipeline = [
    dict(type='USGainGamma', prob=0.8, gain=(0.7, 1.3), gamma=(0.7, 1.4)),
    dict(type='USDepthGain', prob=0.5, slope=(-0.4, 0.4)),
    dict(type='USSpeckleNoise', prob=0.5, sigma=(0.05, 0.2)),
    dict(type='USGaussianBlur', prob=0.5, sigma=(0.1, 1.5)),
]
train_pipeline = [
    dict(type='LoadUSImage'),
    dict(
        type='TwoViewCrop',
        size=view_size,
        scale=(0.15, 0.7),
        flip_prob=0.5,
        min_overlap=0.3,
        view_pipeline=view_pipeline),
    dict(type='PackInputs', algorithm_keys=['view_boxes', 'view_flips']),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='UnlabelledImageDataset',
        data_root=data_root,
        roots=['img_dir/train'],
        exclude=['img_dir/val', 'img_dir/test'],
        pipeline=train_pipeline))

# Both views go through it alike.
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=mean,
    std=std,
    to_rgb=True)
