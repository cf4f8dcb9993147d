# MoCo v2 (https://arxiv.org/abs/2003.04297) with a plain-stem ResNet-50,
# built from mmpretrain's own MoCo / MoCoV2Neck / ContrastiveHead
# (hyper-parameters of mmpretrain's mocov2_resnet50_8xb32-coslr-200e_in1k).
#
# The backbone is mmpretrain `ResNet` (7x7 plain stem): its `backbone.` keys
# match mmseg's `ResNet(deep_stem=False)` of `fcn_r50-d8.py` one to one, so
# the PretrainedEncoderHook loads 100% of the segmentation encoder.
# No `data_preprocessor` here: the dataset base's top-level one is merged in
# by the Runner.
default_scope = 'mmpretrain'

model = dict(
    type='MoCo',
    # 4096 negatives for ~3,750 training images (~1.1 copies of each image),
    # as for DenseCL (see densecl_r50.py): ImageNet's 65,536 would hold ~17
    # stale copies of every image, i.e. positives used as negatives. Must be
    # divisible by the global batch size (32).
    # Override with --cfg-options model.queue_len=N.
    queue_len=4096,
    feat_dim=128,
    momentum=0.001,  # mmengine EMA convention: 1 - 0.999 of MoCo.
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2),
)
