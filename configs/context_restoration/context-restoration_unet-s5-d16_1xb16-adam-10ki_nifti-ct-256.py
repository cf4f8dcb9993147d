# Context restoration on CT slices (3 HU windows). Same recipe as MRI.
_base_ = [
    '../_base_/models/unet_inpainting.py',
    '../_base_/datasets/nifti_ct_inpainting.py',
    '../_base_/schedules/adam_lr1e-3_10k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(mean={{_base_.mean}}, std={{_base_.std}}))
default_hooks = dict(
    checkpoint=dict(interval=1000, max_keep_ckpts=2))
