# SimSiam pretraining of a plain-stem ResNet-50 on knee ultrasound (GPU
# scale): mmpretrain's ImageNet recipe (SGD momentum 0.9, wd 1e-4, cosine,
# 200 epochs, 3-layer 2048-d projector, 512-d bottleneck predictor at a
# fixed lr) at batch 32 (1 GPU x 32), lr 0.05 * 32 / 256 (the paper's
# lr x B / 256 rule; mmpretrain's 0.05 is for 8 x 32 = 256). SimSiam needs no
# negatives, so it is the method least hurt by batch 32 (the paper reports
# 66.1% / 68.1% ImageNet linear accuracy at batch 64 / 256).
# Two-view pipeline: mmpretrain's SimSiam uses the MoCo v2 views; ours is
# their ultrasound-safe version, ../_base_/datasets/knee-us_2view-224.py.
#
# The predictor's lr is held at `lr` by mmpretrain's SimSiamHook (the
# paper's "fixed lr for the predictor"); the hook does not follow
# --auto-scale-lr, so when you change the batch, set both:
#   --cfg-options optim_wrapper.optimizer.lr=X custom_hooks.0.lr=X
# The checkpoint's `backbone.` is consumed by
# benchmarks/fcn_r50-d8_1xb16-40ki_knee-us-256_simsiam.py.
_base_ = [
    '../_base_/models/simsiam_r50.py',
    '../_base_/datasets/knee-us_2view-224.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

lr = 0.05 * 32 / 256
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr)
]

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(by_epoch=True, interval=10))
log_processor = dict(by_epoch=True)
