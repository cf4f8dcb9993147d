# Barlow Twins (https://arxiv.org/abs/2103.03230) with a plain-stem
# ResNet-50, built from mmpretrain's own BarlowTwins / NonLinearNeck /
# LatentCrossCorrelationHead / CrossCorrelationLoss (hyper-parameters of
# mmpretrain's barlowtwins_resnet50_8xb256-coslr-300e_in1k). No momentum
# encoder, no negatives: the loss drives the cross-correlation matrix of the
# two views' embeddings to the identity.
#
# Differences from mmpretrain: `BN` instead of `SyncBN` (one GPU, or CPU;
# with several GPUs set --cfg-options model.backbone.norm_cfg.type=SyncBN).
# The plain-stem `backbone.` keys match mmseg's `ResNet(deep_stem=False)`.
default_scope = 'mmpretrain'

model = dict(
    type='BarlowTwins',
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        norm_cfg=dict(type='BN'),
        zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',  # 3-layer 8192-d projector, as the paper
        in_channels=2048,
        hid_channels=8192,
        out_channels=8192,
        num_layers=3,
        with_last_bn=False,
        with_last_bn_affine=False,
        with_avg_pool=True,
        init_cfg=dict(
            type='Kaiming', distribution='uniform', layer=['Linear'])),
    head=dict(
        type='LatentCrossCorrelationHead',
        in_channels=8192,
        loss=dict(type='CrossCorrelationLoss', lambd=0.0051)),
)
