# Unlabelled knee-ultrasound images for inpainting pretraining (mmpretrain
# scope): LoadUSImage (gray -> 3 channels), resize to the crop, horizontal
# flip, then the corruption. The corruption runs on the uint8 image; the
# preprocessor then normalises corrupted input and clean target (`gt_img`)
# with the same mean/std, so restoration swaps normalised patches and context
# prediction's `fill=mean` is exactly 0 after normalisation.
# Sweep (pipeline index 3 is the corruption):
#   --cfg-options train_dataloader.dataset.pipeline.3.patch_size=16
#   --cfg-options train_dataloader.dataset.pipeline.3.sampling=random
_base_ = ['./knee_us_common.py']

train_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='Resize', scale={{_base_.crop_size}}, keep_ratio=False),
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
        data_root={{_base_.data_root}},
        roots=['img_dir/train'],
        exclude=['img_dir/val', 'img_dir/test'],
        pipeline=train_pipeline))
