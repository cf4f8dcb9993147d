# SimSiam (https://arxiv.org/abs/2011.10566) with a plain-stem ResNet-50,
# built from mmpretrain's own SimSiam / NonLinearNeck / LatentPredictHead /
# CosineSimilarityLoss (hyper-parameters of mmpretrain's
# simsiam_resnet50_8xb32-coslr-200e_in1k). No momentum encoder, no
# negatives: both views go through the same encoder, one side stop-gradient.
#
# Differences from mmpretrain: `BN` instead of `SyncBN` (one GPU, or CPU;
# with several GPUs set --cfg-options model.backbone.norm_cfg.type=SyncBN).
# The plain-stem `backbone.` keys match mmseg's `ResNet(deep_stem=False)`.
default_scope = 'mmpretrain'

model = dict(
    type='SimSiam',
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        norm_cfg=dict(type='BN'),
        zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',  # 3-layer projector
        in_channels=2048,
        hid_channels=2048,
        out_channels=2048,
        num_layers=3,
        with_last_bn_affine=False,
        with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(
            type='NonLinearNeck',  # 2-layer bottleneck predictor
            in_channels=2048,
            hid_channels=512,
            out_channels=2048,
            with_avg_pool=False,
            with_last_bn=False,
            with_last_bias=True)),
)
