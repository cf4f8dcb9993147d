# SimCLR (https://arxiv.org/abs/2002.05709) with a plain-stem ResNet-50,
# built from mmpretrain's own SimCLR / NonLinearNeck / ContrastiveHead
# (hyper-parameters of mmpretrain's simclr_resnet50_*-coslr-200e_in1k).
#
# Differences from mmpretrain: `BN` instead of `SyncBN` (one GPU, or CPU,
# where SyncBN cannot run; with several GPUs set
# --cfg-options model.backbone.norm_cfg.type=SyncBN). The plain-stem
# `backbone.` keys match mmseg's `ResNet(deep_stem=False)` one to one.
default_scope = 'mmpretrain'

model = dict(
    type='SimCLR',
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        norm_cfg=dict(type='BN'),
        zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',  # 2-layer MLP projector
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_layers=2,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.1),
)
