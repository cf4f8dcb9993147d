# CPU-scale sibling of mocov2_r50_1xb32-coslr-200e_knee-us-224.py (used by
# the quickstart and the tests): ResNet-18, the 128 px two-view base (batch
# 16), 200 iterations (~13 epochs of the 240-image synthetic train set).
# Besides sizes, two MoCo v2 settings change with the run length: queue 256
# (~1 key per training image, divisible by 16) and the key encoder's
# momentum 0.01 (below).
_base_ = [
    '../_base_/models/mocov2_r50.py',
    '../_base_/datasets/knee-us_2view-128.py',
    '../_base_/schedules/sgd_coslr-200i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    queue_len=256,
    # The key encoder's EMA time constant must be short against the run:
    # 1/0.001 = 1000 iterations would leave the keys at the random init for
    # all 200. 1/0.01 = 100 iterations, half the run.
    momentum=0.01,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=200, max_keep_ckpts=1))
