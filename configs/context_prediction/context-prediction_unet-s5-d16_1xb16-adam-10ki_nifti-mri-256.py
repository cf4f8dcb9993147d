# Context prediction (Pathak et al. 2016) pretraining of the mmseg U-Net on
# MRI slices: K x K patches set to 0 (= the volume mean after the per-volume
# z-score), Poisson-disc sampling, >= 1/4 corrupted, L2 on all pixels.
# The study found context restoration better; this is its comparison arm.
_base_ = [
    '../_base_/models/unet_inpainting.py',
    '../_base_/datasets/nifti_mri_inpainting.py',
    '../_base_/schedules/adam_lr1e-3_10k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ContextPrediction',
    data_preprocessor=dict(mean={{_base_.mean}}, std={{_base_.std}}))
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='Resize', scale={{_base_.crop_size}}, keep_ratio=False),
        dict(type='ContextPredictionCorruption', patch_size=32,
             sampling='poisson', fill=0.0, min_area_ratio=0.25,
             num_precomputed=100),
        dict(type='PackInputs', algorithm_keys=['gt_img', 'corruption_mask']),
    ]))
default_hooks = dict(
    checkpoint=dict(interval=1000, max_keep_ckpts=2))
