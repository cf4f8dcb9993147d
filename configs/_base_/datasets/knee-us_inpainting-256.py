# Unlabelled knee-ultrasound images for inpainting pretraining (mmpretrain
# scope), 256 px, batch 16 (GPU scale; the CPU scale is
# knee-us_inpainting-128.py): LoadUSImage (gray -> 3 channels), a crop at
# the native scale (mmpretrain's RandomCrop, zero-padded when the image is
# smaller; the U-Net is fine-tuned at the native scale too), lateral flip,
# then the corruption. The corruption runs on the uint8
# image; the preprocessor then normalises corrupted input and clean target
# (`gt_img`) with the same mean/std, so restoration swaps normalised patches
# and context prediction's `fill=mean` is exactly 0 after normalisation.
# Sweep (pipeline index 3 is the corruption):
#   --cfg-options train_dataloader.dataset.pipeline.3.patch_size=16
#   --cfg-options train_dataloader.dataset.pipeline.3.sampling=random
data_root = 'data/knee_us/'
crop_size = (256, 256)
# Gray-level mean/std of the synthetic default train set (as
# knee-us_seg-256.py). Recompute for your own data.
mean = [114.18, 114.18, 114.18]
std = [79.95, 79.95, 79.95]

train_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='RandomCrop', crop_size=crop_size, pad_if_needed=True),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ContextRestorationCorruption', patch_size=32,
         sampling='poisson', min_area_ratio=0.25, num_precomputed=100),
    dict(type='PackInputs', algorithm_keys=['gt_img', 'corruption_mask']),
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

# The corrupted input and the clean target go through it alike.
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=mean,
    std=std,
    to_rgb=True)
