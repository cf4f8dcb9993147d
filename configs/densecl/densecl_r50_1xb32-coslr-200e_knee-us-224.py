# DenseCL pretraining of a plain-stem ResNet-50 on knee ultrasound
# (GPU scale): 200 epochs, batch 32 (1 GPU x 32), SGD lr 0.03*32/256,
# momentum 0.9, wd 1e-4, cosine; loss_lambda 0.5, temperature 0.2.
# Two-view ultrasound pipeline and mean/std: ../_base_/datasets/
# knee-us_2view-224.py. Queue length (4096, fits ~3,750 images, divisible by
# the global batch 32): see ../_base_/models/densecl_r50.py; override with
#   --cfg-options model.queue_len=N   (N % global_batch == 0, N <~ #images)
# The checkpoint's `backbone.` is consumed by
# benchmarks/fcn_r50-d8_1xb16-40ki_knee-us-256_densecl.py.
_base_ = [
    '../_base_/models/densecl_r50.py',
    '../_base_/datasets/knee-us_2view-224.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(by_epoch=True, interval=10))
log_processor = dict(by_epoch=True)
