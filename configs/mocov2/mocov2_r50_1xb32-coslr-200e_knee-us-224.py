# MoCo v2 pretraining of a plain-stem ResNet-50 on knee ultrasound (GPU
# scale): mmpretrain's ImageNet recipe (SGD momentum 0.9, wd 1e-4, cosine,
# 200 epochs, temperature 0.2, MoCoV2Neck 2048-2048-128) at batch 32
# (1 GPU x 32), lr 0.03 * 32 / 256 (../_base_/schedules/sgd_coslr-200e.py).
# Queue 4096 (fits ~3,750 images, divisible by the global batch 32): see
# ../_base_/models/mocov2_r50.py; override with
#   --cfg-options model.queue_len=N   (N % global_batch == 0, N <~ #images)
# Two-view ultrasound pipeline (the one mmpretrain's MoCo v2 uses, made
# ultrasound-safe) and mean/std: ../_base_/datasets/knee-us_2view-224.py.
# The checkpoint's `backbone.` is consumed by
# benchmarks/fcn_r50-d8_1xb16-40ki_knee-us-256_mocov2.py.
_base_ = [
    '../_base_/models/mocov2_r50.py',
    '../_base_/datasets/knee-us_2view-224.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(by_epoch=True, interval=10))
log_processor = dict(by_epoch=True)
