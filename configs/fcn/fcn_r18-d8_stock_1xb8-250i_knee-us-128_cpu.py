# mmseg's STOCK FCN fine-tuning recipe at the CPU study's scale: the
# reference row of every study. Everything comes from mmseg's own bases
# (FCN-D8 model, SGD lr 0.01 poly schedule, runtime, ImageNet mean/std) and
# mmseg's small-medical-set data recipe (../_base_/datasets/
# knee_us_seg_stock.py: 0.5-2x rescale around the native scale, 128 crops,
# flip, PhotoMetricDistortion, test at native scale). Only scale changes:
# ResNet-18 (mmseg's fcn_r18-d8 channels), batch 8, 250 iterations; plus
# the two changes transfer needs: a plain stem (`ResNet`, deep_stem=False,
# so an mmpretrain DenseCL/MoCo checkpoint loads 100 %, see
# ../_base_/models/fcn_r50-d8.py) and no ImageNet download (pretrained=None).
# From a pretraining, add the transfer:
#   --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = [
    'mmseg::_base_/models/fcn_r50-d8.py',
    '../_base_/datasets/knee_us_seg_stock.py',
    'mmseg::_base_/schedules/schedule_40k.py',
    'mmseg::_base_/default_runtime.py',
]
# The library runtime replaces ours, so the one import our runtime carries
# is stated here (it registers KneeUSDataset and PerClassIoUMetric).
custom_imports = dict(imports=['ussl_mm'], allow_failed_imports=False)

max_iters = 250
crop_size = (128, 128)
data_preprocessor = dict(size=crop_size)  # as every mmseg leaf config
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN needs >1 process
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='ResNet', depth=18, deep_stem=False, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=512, channels=128, num_classes=2, norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=256, channels=64, num_classes=2, norm_cfg=norm_cfg))
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = dict(num_workers=0, persistent_workers=False)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters),
    visualization=dict(type='SegVisualizationHook', draw=False))
