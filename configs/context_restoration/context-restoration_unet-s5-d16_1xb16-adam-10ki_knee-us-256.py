# Context restoration pretraining of the mmseg U-Net on unlabelled knee
# ultrasound (K=32, Poisson-disc, >= 1/4 corrupted, L2 on all pixels,
# Adam 1e-3). Fine-tune with
#   configs/context_restoration/benchmarks/
#     unet-s5-d16_1xb8-adam-10ki_knee-us-256_context-restoration.py
_base_ = [
    '../_base_/models/context-restoration_unet-s5-d16.py',
    '../_base_/datasets/knee-us_inpainting-256.py',
    '../_base_/schedules/adam-10ki.py',
    '../_base_/default_runtime.py',
]

default_hooks = dict(checkpoint=dict(max_keep_ckpts=2))
