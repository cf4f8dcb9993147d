# CPU-scale sibling of
# context-restoration_unet-s5-d16_1xb16-adam-10ki_nifti-mri-256.py: same recipe
# (K=32, Poisson, Adam 1e-3), smaller sizes: the 4-stage, 16-channel U-Net
# (`unet_tiny`), 128 px, batch 8, 120 iterations (about a minute on 2 CPU
# cores). Data: generate_synthetic_nifti.py.
_base_ = [
    '../_base_/models/context-restoration_unet-s5-d16.py',
    '../_base_/datasets/nifti-mri_inpainting-128.py',
    '../_base_/schedules/adam-120i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=_base_.unet_tiny,
    head=dict(in_channels=16))
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=120, max_keep_ckpts=1))
