# Context restoration on CT slices (3 HU windows). Same recipe as MRI.
# Fine-tune the checkpoint with
#   configs/context_restoration/benchmarks/
#     unet-s5-d16_1xb16-adam-10ki_nifti-ct-256_context-restoration.py
_base_ = [
    '../_base_/models/context-restoration_unet-s5-d16.py',
    '../_base_/datasets/nifti-ct_inpainting-256.py',
    '../_base_/schedules/adam-10ki.py',
    '../_base_/default_runtime.py',
]

default_hooks = dict(checkpoint=dict(max_keep_ckpts=2))
