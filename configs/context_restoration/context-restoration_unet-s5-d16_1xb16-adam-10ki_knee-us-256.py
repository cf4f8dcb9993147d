# Context restoration pretraining of the mmseg U-Net on unlabelled knee
# ultrasound (K=32, Poisson-disc, >= 1/4 corrupted, L2 on all pixels,
# Adam 1e-3). Fine-tune with
#   configs/context_restoration/benchmarks/unet-s5-d16_context-restoration-pre_adam-lr1e-3-10k_knee-us-256.py
_base_ = [
    '../_base_/models/unet_inpainting.py',
    '../_base_/datasets/knee_us_inpainting.py',
    '../_base_/schedules/adam_lr1e-3_10k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(mean={{_base_.mean}}, std={{_base_.std}}))
default_hooks = dict(
    checkpoint=dict(interval=1000, max_keep_ckpts=2))
