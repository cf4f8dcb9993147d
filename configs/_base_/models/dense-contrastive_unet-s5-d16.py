# Dense contrastive pretraining (DenseContrastiveUNet) of the U-Net that
# unet-s5-d16.py fine-tunes, encoder AND decoder: the backbone is that
# file's, built from the mmpretrain scope (as
# context-restoration_unet-s5-d16.py does), so every `backbone.encoder.*` /
# `backbone.decoder.*` key maps one to one onto the segmentor
# (tests/test_models/test_dense_contrastive_unet.py). Pair it with a
# TwoViewCrop dataset base (knee-us_dense-contrastive-256.py). No
# `data_preprocessor` here: the dataset base's (mean/std, to_rgb) is merged
# in by the Runner.
_base_ = ['./unet-s5-d16.py']

default_scope = 'mmpretrain'

model = dict(
    _delete_=True,
    type='DenseContrastiveUNet',
    # 64 points per image: 2 x 16 x 64 = 2048 embeddings, each the negative
    # of all others (a 2048 x 2048 similarity, cheap).
    num_points=64,
    # Points of one image closer than 4 input pixels (the speckle grain, a
    # 3x3 conv's reach) are not pushed apart.
    neg_radius=4.0,
    # Dense and global InfoNCE weighted as DenseCL's loss_lambda.
    loss_lambda=0.5,
    # 'mmseg.' names the registry of the U-Net and of its upsampler (mmcv
    # builds the upsampler in the current scope, where InterpConv is not
    # registered).
    backbone=dict(
        _base_.model.backbone,
        type='mmseg.UNet',
        upsample_cfg=dict(type='mmseg.InterpConv')),
    # mmpretrain's DenseCL neck unpooled (num_grid=None): conv1x1-ReLU-
    # conv1x1 on the full-resolution decoder output (the dense embedding)
    # and fc-ReLU-fc on its average (the global one). in_channels = the
    # U-Net's base_channels.
    neck=dict(
        type='DenseCLNeck',
        in_channels=64,
        hid_channels=128,
        out_channels=64,
        num_grid=None),
    # DenseCL's temperature.
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))
