# CPU-scale sibling of simclr_r50_1xb32-coslr-200e_knee-us-224.py (used by
# the quickstart and the tests): ResNet-18 (projector widths follow), the
# 128 px two-view base (batch 16), 200 iterations (10 warm-up,
# ../_base_/schedules/lars_coslr-200i.py). Only sizes differ.
_base_ = [
    '../_base_/models/simclr_r50.py',
    '../_base_/datasets/knee-us_2view-128.py',
    '../_base_/schedules/lars_coslr-200i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=18), neck=dict(in_channels=512, hid_channels=512))

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=200, max_keep_ckpts=1))
