# CPU-scale sibling of
# context-prediction_unet-s5-d16_1xb16-adam-10ki_knee-us-256.py:
# the context-restoration CPU sizes (`unet_tiny`, 128 px, batch 8, 120
# iterations) with the prediction task.
_base_ = [
    '../_base_/models/context-restoration_unet-s5-d16.py',
    '../_base_/datasets/knee-us_inpainting-128.py',
    '../_base_/schedules/adam-120i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ContextPrediction',
    backbone=_base_.unet_tiny,
    head=dict(in_channels=16))
train_pipeline = _base_.train_pipeline
train_pipeline[3] = dict(  # the corruption
    type='ContextPredictionCorruption',
    patch_size=32,
    sampling='poisson',
    fill=_base_.mean,
    min_area_ratio=0.25,
    num_precomputed=100)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=120, max_keep_ckpts=1))
