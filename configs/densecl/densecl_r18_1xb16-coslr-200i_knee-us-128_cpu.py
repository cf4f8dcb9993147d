# CPU-scale sibling of densecl_r50_1xb32-coslr-200e_knee-us-224.py (used by
# the quickstart and the tests): ResNet-18, the 128 px two-view base (batch
# 16), 200 iterations (~13 epochs of the 240-image synthetic train set).
# Besides sizes, one DenseCL setting changes with the run length: queue 256
# (~1 key per training image, divisible by 16). The key encoder keeps the
# base's momentum 0.001 (mmpretrain's): the recipe ablation measured it
# against 0.01 (a time constant of half the run) at +1.0 mIoU on the default
# synthetic set (every seed) and -0.0 on the second regime (README, "The
# recipe ablation, 3 seeds").
_base_ = [
    '../_base_/models/densecl_r50.py',
    '../_base_/datasets/knee-us_2view-128.py',
    '../_base_/schedules/sgd_coslr-200i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    queue_len=256,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=200, max_keep_ckpts=1))
