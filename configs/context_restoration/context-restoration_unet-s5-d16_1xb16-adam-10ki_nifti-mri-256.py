# Context restoration (Chen et al. 2019) pretraining of the mmseg U-Net on
# unlabelled MRI slices, with the inpainting study's best recipe: 32x32
# patches, Poisson-disc sampling, >= 1/4 of the image corrupted, L2 on all
# pixels, Adam lr 1e-3, GN + weight standardisation, He init.
# Sweeps (one variable each, see configs/_base_/datasets/nifti_mri_inpainting.py):
#   --cfg-options train_dataloader.dataset.pipeline.1.patch_size=16
#   --cfg-options train_dataloader.dataset.pipeline.1.sampling=random
# Fine-tune the checkpoint with
#   configs/context_restoration/benchmarks/unet-s5-d16_context-restoration-pre_adam-lr1e-3-10k_nifti-mri-256.py
_base_ = [
    '../_base_/models/unet_inpainting.py',
    '../_base_/datasets/nifti_mri_inpainting.py',
    '../_base_/schedules/adam_lr1e-3_10k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(mean={{_base_.mean}}, std={{_base_.std}}))
default_hooks = dict(
    checkpoint=dict(interval=1000, max_keep_ckpts=2))
