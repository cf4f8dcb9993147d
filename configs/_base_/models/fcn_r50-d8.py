# FCN (https://arxiv.org/abs/1411.4038) with a dilated ResNet-50 (output
# stride 8), as mmseg's `fcn_r50-d8.py` but with a PLAIN stem:
# mmseg's original uses `ResNetV1c` (deep 3x3 stem) whose `backbone.stem.*`
# keys do not exist in an mmpretrain `ResNet` checkpoint, so a DenseCL
# encoder would silently lose its stem (DenseCL#19, mmseg#695). Here
# `deep_stem=False` makes every `backbone.` key match the DenseCL
# pretraining backbone one to one (tests/test_engine/
# test_pretrained_encoder_hook.py checks it). Also BN instead of SyncBN (CPU
# and one GPU), 2 classes, `pretrained=None` (the from-scratch baseline; a
# pretrained benchmark adds `pretrained_encoder`).
# Restated rather than inheriting mmseg::_base_/models/fcn_r50-d8.py: that
# file defines a top-level `data_preprocessor` (ImageNet mean/std), which
# collides with the dataset base's (mmengine refuses a key defined by two
# bases), and its extra level would put every pretrained benchmark (benchmark
# -> scratch leaf -> model -> mmseg) beyond three files. The stock row
# (configs/fcn/fcn_r18-d8_stock_*) inherits it directly. No
# `data_preprocessor` here: the dataset base's top-level one (mean/std,
# bgr_to_rgb, size) is merged in by the Runner (`model.setdefault`).
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
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        deep_stem=False,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    decode_head=dict(
        type='FCNHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        num_convs=2,
        concat_input=True,
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        # CE + batch Dice (BatchDiceLoss: Dice over the mini-batch per
        # class; the effusion is a few % of the pixels): +1.2 mIoU at 5 %
        # labels over CE alone (configs/study/recipe_ablation_knee_us.py).
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            dict(type='BatchDiceLoss', loss_weight=1.0)
        ]),
    # Decoder side: never transferred (the hook's default mode is 'encoder').
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=1024,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
