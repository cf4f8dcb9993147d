# Labelled MRI slices for U-Net fine-tuning (mmseg scope), GPU scale: the
# whole fine-tuning data recipe at 256 px, batch 16 (the CPU scale is
# nifti-mri_seg-128.py). float32 slices, z-scored per volume: preprocessor
# mean 0 / std 1. Label fractions select volumes (patients):
#   --cfg-options train_dataloader.dataset.label_fraction=10
# Slices with foreground are oversampled for training only (never for
# val/test, which score every slice once).
data_root = 'data/nifti_mri'
crop_size = (256, 256)
mean = [0.0, 0.0, 0.0]
std = [1.0, 1.0, 1.0]

dataset_type = 'NiftiMRIDataset'

# Small structures in big slices (docs/mri_example.md): crops at the
# NATIVE scale (no resizing), a
# third of them centred on a random foreground pixel (nnU-Net's
# oversampling; RandomForegroundCrop says why not RandomCrop(cat_max_ratio)),
# and a test on the unresized slice. Slices smaller than the crop are
# padded by the preprocessor (`size`; mask 255 = ignored).
train_pipeline = [
    dict(type='RandomForegroundCrop', crop_size=crop_size, fg_prob=0.33),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    # mmseg's default meta_keys plus the slice position, which
    # ClinicalMetric (tools/test.py --clinical) needs to re-read raw voxels.
    dict(type='PackSegInputs',
         meta_keys=('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                    'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                    'reduce_zero_label', 'slice_idx', 'slice_axis')),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        slice_axis=2,
        label_fraction=None,
        # Every slice, those with foreground repeated to be half of the
        # list: the empty ones stay as negatives (docs/mri_example.md).
        min_fg_slice_ratio=0.5,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        slice_axis=2,
        test_mode=True,
        pipeline=test_pipeline))
# The test split, otherwise as val.
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'],
        data_prefix=dict(
            img_path='img_dir/test', seg_map_path='ann_dir/test')))
# Per-class IoU/Dice scalars (IoU.<class>, Dice.<class>) besides mIoU/mDice,
# the per-volume (3-D) Dice3D.<class> / mDice3D of NIfTI slices, and
# never_predicted.<class> (a WARNING when a present class is never
# predicted).
val_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU', 'mDice'])
test_evaluator = val_evaluator

data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=mean,
    std=std,
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size,
    # Test on the whole unresized slice, padded to a multiple of 16 (the
    # U-Net's downsampling factor); the padding is cropped off the logits.
    test_cfg=dict(size_divisor=16))
