# Knee-ultrasound effusion segmentation with mmseg's STOCK data recipe, the
# one its small medical sets use (mmseg::_base_/datasets/chase_db1.py, also
# drive.py, stare.py, hrf.py): mmseg/mmcv loaders, random rescaling around
# the native image scale (0.5-2x), 128 x 128 crops that avoid >75 %
# background, horizontal flip, PhotoMetricDistortion; test at the native
# scale. Only the data set (type, root, folders) is ours. It is the
# reference row every study compares ussl_mm's own recipe against.
dataset_type = 'KneeUSDataset'
data_root = 'data/knee_us/'
img_scale = (256, 256)  # (w, h): the native size of the synthetic set
crop_size = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        label_fraction=None,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
# The test split, otherwise as val.
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'],
        data_prefix=dict(
            img_path='img_dir/test', seg_map_path='ann_dir/test')))
# mmseg's IoUMetric, plus the per-class scalars and per-image records the
# study needs (dataset-level numbers are exactly IoUMetric's).
val_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU', 'mDice'])
test_evaluator = val_evaluator
