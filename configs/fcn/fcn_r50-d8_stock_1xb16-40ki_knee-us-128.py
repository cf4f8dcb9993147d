# mmseg's STOCK FCN fine-tuning recipe on knee ultrasound, GPU scale: the
# reference row every study compares ussl_mm's own recipe
# (fcn_r50-d8_1xb16-40ki_knee-us-256.py) against. Everything comes from
# mmseg's own bases (FCN-D8 model, SGD lr 0.01 poly 40k schedule with its
# hooks, runtime, ImageNet mean/std) and mmseg's small-medical-set data
# recipe (../_base_/datasets/knee-us_seg-stock-128.py: 0.5-2x rescale around
# the native scale, 128 crops, flip, PhotoMetricDistortion, test at native
# scale). Only what one GPU and the transfer need changes: BN instead of
# SyncBN, batch 16 on one GPU (mmseg runs its medical sets as 4 GPUs x 4),
# 2 classes, a plain stem (`ResNet`, deep_stem=False, so an mmpretrain
# DenseCL/MoCo checkpoint loads 100 %, see ../_base_/models/fcn_r50-d8.py)
# and no ImageNet download (pretrained=None).
# From a pretraining, add the transfer:
#   --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = [
    'mmseg::_base_/models/fcn_r50-d8.py',
    '../_base_/datasets/knee-us_seg-stock-128.py',
    'mmseg::_base_/schedules/schedule_40k.py',
    'mmseg::_base_/default_runtime.py',
]
# The library runtime replaces ours, so the one import our runtime carries
# is stated here (it registers KneeUSDataset and PerClassIoUMetric).
custom_imports = dict(imports=['ussl_mm'], allow_failed_imports=False)
# Crash-safe checkpoints with the random state (ussl_mm's hook; the
# library runtime names mmengine's).
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))

data_preprocessor = dict(size=_base_.crop_size)  # as every mmseg leaf config
norm_cfg = dict(type='BN')  # SyncBN needs >1 process
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(type='ResNet', deep_stem=False, norm_cfg=norm_cfg),
    decode_head=dict(num_classes=2, norm_cfg=norm_cfg),
    auxiliary_head=dict(num_classes=2, norm_cfg=norm_cfg))
train_dataloader = dict(batch_size=16)
