# U-Net decoder over a pretrained-compatible ResNet-50: ussl_mm's `UNetHead`
# (skip connections at strides 16, 8, 4 from the ResNet, then two x2 stages
# to full resolution, logits at the input size) on mmseg's plain-stem,
# UNDILATED `ResNet` (strides 4..32). The backbone dict is the DenseCL /
# MoCo v2 / SimCLR / SimSiam / Barlow Twins pretraining backbone
# (`deep_stem=False`, no dilation changes no weight), so PretrainedEncoderHook
# transfers 100 % of its `backbone.` keys
# (tests/test_models/test_unet_head.py). Compared with fcn_r50-d8.py only the
# decoder and the dilation differ: the ablation "FCN-D8 vs a full-resolution
# decoder" of the same encoder. Loss: CE + batch Dice, as the FCN (with CE
# alone this decoder predicted no effusion at all after 250 iterations at
# 5 % labels). No `data_preprocessor` here: the dataset
# base's top-level one is merged in by the Runner (`model.setdefault`).
default_scope = 'mmseg'

# BN, not SyncBN: runs on CPU and on one GPU; switch to SyncBN for multi-GPU.
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    pretrained=None,
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 2),
        dilations=(1, 1, 1, 1),
        deep_stem=False,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch'),
    decode_head=dict(
        type='UNetHead',
        in_channels=(256, 512, 1024, 2048),
        in_index=(0, 1, 2, 3),
        decoder_channels=(256, 128, 64, 32, 16),
        num_convs=2,
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            dict(type='BatchDiceLoss', loss_weight=1.0)
        ]),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
