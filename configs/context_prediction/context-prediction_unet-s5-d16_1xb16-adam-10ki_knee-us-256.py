# Context prediction (Pathak et al. 2016) pretraining of the mmseg U-Net on
# unlabelled knee ultrasound: the context-restoration recipe with K x K
# patches filled with the dataset mean (exactly 0 after the preprocessor's
# normalisation) instead of swapped.
_base_ = [
    '../_base_/models/context-restoration_unet-s5-d16.py',
    '../_base_/datasets/knee-us_inpainting-256.py',
    '../_base_/schedules/adam-10ki.py',
    '../_base_/default_runtime.py',
]

model = dict(type='ContextPrediction')
train_pipeline = _base_.train_pipeline
train_pipeline[3] = dict(  # the corruption
    type='ContextPredictionCorruption',
    patch_size=32,
    sampling='poisson',
    fill=_base_.mean,
    min_area_ratio=0.25,
    num_precomputed=100)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
default_hooks = dict(checkpoint=dict(max_keep_ckpts=2))
