# Labelled CT slices for U-Net fine-tuning (mmseg scope), GPU scale: the
# MRI recipe (nifti-mri_seg-256.py) on `NiftiCTDataset`, 3 HU windows (W/L
# 400/50, 1800/40, 500/50) z-scored per channel and volume, hence
# preprocessor mean 0 / std 1. The CPU scale is nifti-ct_seg-128.py. Label
# fractions select volumes (patients):
#   --cfg-options train_dataloader.dataset.label_fraction=10
# Empty slices are skipped for training only (never for val/test).
data_root = 'data/nifti_ct'
crop_size = (256, 256)
mean = [0.0, 0.0, 0.0]
std = [1.0, 1.0, 1.0]

dataset_type = 'NiftiCTDataset'

train_pipeline = [
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackSegInputs'),
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
        skip_empty_slices=True,
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
# Per-class IoU/Dice scalars (IoU.<class>, Dice.<class>) besides mIoU/mDice.
val_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU', 'mDice'])
test_evaluator = val_evaluator

data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=mean,
    std=std,
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
