# Context restoration (Chen et al. 2019) pretraining of the mmseg U-Net on
# unlabelled MRI slices, with the inpainting study's best recipe: 32x32
# patches, Poisson-disc sampling, >= 1/4 of the image corrupted, L2 on all
# pixels, Adam lr 1e-3, GN + weight standardisation, He init.
# Sweeps (one variable each, see
# configs/_base_/datasets/nifti-mri_inpainting-256.py):
#   --cfg-options train_dataloader.dataset.pipeline.1.patch_size=16
#   --cfg-options train_dataloader.dataset.pipeline.1.sampling=random
# Fine-tune the checkpoint with
#   configs/context_restoration/benchmarks/
#     unet-s5-d16_1xb16-adam-10ki_nifti-mri-256_context-restoration.py
_base_ = [
    '../_base_/models/context-restoration_unet-s5-d16.py',
    '../_base_/datasets/nifti-mri_inpainting-256.py',
    '../_base_/schedules/adam-10ki.py',
    '../_base_/default_runtime.py',
]

default_hooks = dict(checkpoint=dict(max_keep_ckpts=2))
