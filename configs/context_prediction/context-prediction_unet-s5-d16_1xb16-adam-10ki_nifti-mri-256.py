# Context prediction (Pathak et al. 2016) pretraining of the mmseg U-Net on
# MRI slices: K x K patches set to 0 (= the volume mean after the per-volume
# z-score), Poisson-disc sampling, >= 1/4 corrupted, L2 on all pixels.
# The study found context restoration better; this is its comparison arm.
# Fine-tune the checkpoint with
#   configs/context_prediction/benchmarks/
#     unet-s5-d16_1xb16-adam-10ki_nifti-mri-256_context-prediction.py
_base_ = [
    '../_base_/models/context-restoration_unet-s5-d16.py',
    '../_base_/datasets/nifti-mri_inpainting-256.py',
    '../_base_/schedules/adam-10ki.py',
    '../_base_/default_runtime.py',
]

model = dict(type='ContextPrediction')
train_pipeline = _base_.train_pipeline
train_pipeline[1] = dict(  # the corruption
    type='ContextPredictionCorruption',
    patch_size=32,
    sampling='poisson',
    fill=0.0,
    min_area_ratio=0.25,
    num_precomputed=100)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
default_hooks = dict(checkpoint=dict(max_keep_ckpts=2))
