# Labelled MRI slices for U-Net fine-tuning (mmseg scope), CPU study scale:
# the whole fine-tuning data recipe at 128 px, batch 8, data loaded in the
# main process (the GPU scale is nifti-mri_seg-256.py; this one is
# self-contained so that a pretrained benchmark stays within three files).
# float32 slices, z-scored per volume: preprocessor mean 0 / std 1. Label
# fractions select volumes (patients):
#   --cfg-options train_dataloader.dataset.label_fraction=10
# Empty slices are skipped for training only (never for val/test).
data_root = 'data/nifti_mri'
crop_size = (128, 128)
mean = [0.0, 0.0, 0.0]
std = [1.0, 1.0, 1.0]

dataset_type = 'NiftiMRIDataset'

train_pipeline = [
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackSegInputs'),
]
# Data loading in the main process: on 2 cores, worker processes compete
# with the compute threads (no faster), and torch waits 5 s per worker to
# shut them down at the end of each run (bench_cpu_siblings.py, README).
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
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
    num_workers=0,
    persistent_workers=False,
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
