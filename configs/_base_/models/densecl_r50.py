# DenseCL (https://arxiv.org/abs/2011.09157) with a plain-stem ResNet-50,
# built from mmpretrain's own DenseCL / DenseCLNeck / ContrastiveHead.
#
# The backbone is mmpretrain `ResNet` (7x7 plain stem, style 'pytorch'). Its
# `backbone.` keys match mmseg's `ResNet(deep_stem=False)` used by
# `fcn_r50-d8.py` one to one (dilation changes no parameter), so the
# PretrainedEncoderHook can load 100% of the segmentation encoder.
# No `data_preprocessor` here: the dataset base's top-level one (mean/std,
# to_rgb) is merged in by the Runner (`model.setdefault`).
default_scope = 'mmpretrain'
# As mmpretrain's DenseCL config (matters for DDP only).
find_unused_parameters = True

model = dict(
    type='DenseCL',
    # 4096 negatives for ~3,750 training images (~1.1 copies of each image in
    # the queue). mmpretrain's ImageNet default of 65,536 would hold ~17 stale
    # copies of every image: keys from an encoder thousands of iterations old
    # that are positives of the current query (mmpretrain#1541 reports rising
    # loss on small sets). Must be divisible by the global batch size (32).
    # Override with --cfg-options model.queue_len=N.
    queue_len=4096,
    feat_dim=128,
    momentum=0.001,  # mmengine EMA convention: 1 - 0.999 of MoCo.
    loss_lambda=0.5,
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False),
    neck=dict(
        type='DenseCLNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_grid=None),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2),
)
