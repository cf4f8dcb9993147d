# CPU-scale sibling of simsiam_r50_1xb32-coslr-200e_knee-us-224.py (used by
# the quickstart and the tests): ResNet-18, the 128 px two-view base (batch
# 16), 200 iterations, projector/predictor widths shrunk with the backbone
# (512-d, 128-d bottleneck: the paper's 4:1 ratio), lr 0.05 * 16 / 256.
# Only sizes differ; the predictor's fixed lr is restated because it
# follows the batch.
_base_ = [
    '../_base_/models/simsiam_r50.py',
    '../_base_/datasets/knee-us_2view-128.py',
    '../_base_/schedules/sgd_coslr-200i.py',
    '../_base_/default_runtime.py',
]

lr = 0.05 * 16 / 256
model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512, out_channels=512),
    head=dict(
        predictor=dict(in_channels=512, hid_channels=128, out_channels=512)))
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
# Iteration-based run: the hook must re-fix the predictor lr every
# iteration (the cosine scheduler steps every iteration).
custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr,
         adjust_by_epoch=False)
]

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=200, max_keep_ckpts=1))
