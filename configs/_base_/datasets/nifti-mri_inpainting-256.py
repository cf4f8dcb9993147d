# Unlabelled MRI slices for inpainting pretraining (mmpretrain scope, so the
# mmseg-registered dataset is named `mmseg.NiftiMRIDataset`), 256 px, batch
# 16 (GPU scale; the CPU scale is nifti-mri_inpainting-128.py). It is the
# NIfTI inpainting recipe: the CT bases (nifti-ct_inpainting-*.py) inherit
# it and change only the data set. The dataset emits float32 H x W x 3
# slices already z-scored per volume, hence mean 0 / std 1 in the
# preprocessor (`data_preprocessor` below) and `fill=0.0` (= the volume mean)
# for context prediction. Generate a demo set with
#   python tools/dataset_converters/generate_synthetic_nifti.py \
#       --out data/nifti_mri --modality mri
data_root = 'data/nifti_mri'
crop_size = (256, 256)
mean = [0.0, 0.0, 0.0]
std = [1.0, 1.0, 1.0]

# Sweeps (one variable each) address the corruption by its pipeline index 1:
#   --cfg-options train_dataloader.dataset.pipeline.1.patch_size=16
#   --cfg-options train_dataloader.dataset.pipeline.1.sampling=random
# Crops at the native scale (mmpretrain's RandomCrop, zero-padded = the
# volume mean when a slice is smaller), as the U-Net is fine-tuned
# (nifti-*_seg-*.py): the encoder learns the scale and aspect it will see.
train_pipeline = [
    dict(type='RandomCrop', crop_size=crop_size, pad_if_needed=True),
    dict(type='ContextRestorationCorruption', patch_size=32,
         sampling='poisson', min_area_ratio=0.25, num_precomputed=100),
    dict(type='PackInputs', algorithm_keys=['gt_img', 'corruption_mask']),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmseg.NiftiMRIDataset',
        data_root=data_root,
        # No masks: pretraining is label-free.
        data_prefix=dict(img_path='img_dir/train'),
        slice_axis=2,
        pipeline=train_pipeline))

# The corrupted input and the clean target go through it alike.
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=mean,
    std=std,
    to_rgb=True)
