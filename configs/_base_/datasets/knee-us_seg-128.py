# Knee-ultrasound effusion segmentation (mmseg scope), CPU study scale: the
# whole fine-tuning data recipe with 128 px crops at native scale, batch 8,
# data loaded in the main process. Same recipe as the GPU scale
# (knee-us_seg-256.py), smaller crops;
# it is self-contained so that a pretrained benchmark (benchmark -> scratch
# leaf -> this file) stays 3 files deep.
# Select a label fraction with one variable:
#   --cfg-options train_dataloader.dataset.label_fraction=5
#
# The ussl_mm channel convention, shared with the pretraining bases
# (knee-us_2view-128.py, knee-us_inpainting-128.py): gray replicated to 3
# channels by LoadUSImage, BGR->RGB in the preprocessor, the same gray
# mean/std on every channel.
data_root = 'data/knee_us/'
crop_size = (128, 128)
# Gray-level mean/std of the synthetic default train set (240 images, 256 px,
# seed 0): 114.18 / 79.95. Recompute for your own data.
mean = [114.18, 114.18, 114.18]
std = [79.95, 79.95, 79.95]

dataset_type = 'KneeUSDataset'

# Trained and tested at the images' NATIVE pixel spacing (issue 8's lesson:
# resizing crops down by ~2x, as this recipe used to, cost ~8 mIoU with any
# encoder). Random rescaling by 0.5-2x of each image's own size, then a
# crop that avoids > 75 % of one class (mmseg's RandomCrop, as its small
# medical sets do), a lateral flip, and mild ultrasound-safe intensity
# changes; the test runs on the unresized image. The choices and what each
# one is worth are measured in configs/study/recipe_ablation_knee_us.py.
train_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='LoadUSAnnotations'),
    dict(type='RandomRescale', ratio_range=(0.5, 2.0)),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    # Lateral flip only: a vertical flip puts depth upside down.
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='USGainGamma', prob=0.8, gain=(0.8, 1.2), gamma=(0.8, 1.25)),
    dict(type='USDepthGain', prob=0.3, slope=(-0.3, 0.3)),
    dict(type='USSpeckleNoise', prob=0.3, sigma=(0.05, 0.15)),
    dict(type='PackSegInputs'),
]
# Native scale: no Resize, metrics on the original grid.
test_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='LoadUSAnnotations'),
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
        label_fraction=None,  # percent, e.g. 5; None = all images
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
        pipeline=test_pipeline))
# The test split, otherwise as val.
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'],
        data_prefix=dict(
            img_path='img_dir/test', seg_map_path='ann_dir/test')))
# mmseg's IoUMetric plus per-class IoU/Dice scalars (IoU.effusion, ...) and,
# when `per_image_file` is set (the study runner sets it), per-image values
# for paired statistics. Dataset-level numbers are exactly IoUMetric's.
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
