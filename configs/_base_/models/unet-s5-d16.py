# The ussl_mm U-Net, defined once: a segmentor (mmseg `EncoderDecoder` +
# `UNet` + `FCNHead`, as mmseg's `fcn_unet_s5-d16.py`) that fine-tunes
# inpainting checkpoints. The inpainting pretraining
# (context-restoration_unet-s5-d16.py) inherits this file and takes its
# `backbone`, so every `backbone.encoder.*` / `backbone.decoder.*` key of a
# ContextRestoration / ContextPrediction checkpoint maps one to one
# (tests/test_engine/test_unet_transfer.py). GroupNorm + weight
# standardisation (mmcv `ConvWS`) and He initialisation, as in the
# inpainting study; use `norm_cfg=dict(type='BN')` and `conv_cfg=None` to
# switch them off. Not mmseg's fcn_unet_s5-d16.py: BN, an auxiliary head and
# sliding-window test would all have to be undone.
# Loss: CE + batch-aggregate Dice (`BatchDiceLoss`, see its docstring for why
# not mmseg's `DiceLoss`). Dice only: `model.decode_head.loss_decode=
# dict(type='BatchDiceLoss')`.
default_scope = 'mmseg'

conv_cfg = dict(type='ConvWS')
norm_cfg = dict(type='GN', num_groups=8, requires_grad=True)
# No `data_preprocessor` here: the dataset base's top-level one (mean/std,
# bgr_to_rgb, size) is merged in by the Runner (`model.setdefault`).
model = dict(
    type='EncoderDecoder',
    pretrained=None,
    backbone=dict(
        type='UNet',
        in_channels=3,
        base_channels=64,
        num_stages=5,
        strides=(1, 1, 1, 1, 1),
        enc_num_convs=(2, 2, 2, 2, 2),
        dec_num_convs=(2, 2, 2, 2),
        downsamples=(True, True, True, True),
        enc_dilations=(1, 1, 1, 1, 1),
        dec_dilations=(1, 1, 1, 1),
        with_cp=False,
        conv_cfg=conv_cfg,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU'),
        upsample_cfg=dict(type='InterpConv'),
        norm_eval=False,
        init_cfg=dict(type='Kaiming', layer='Conv2d', mode='fan_in',
                      nonlinearity='relu')),
    decode_head=dict(
        type='FCNHead',
        in_channels=64,
        in_index=4,
        channels=64,
        num_convs=1,
        concat_input=False,
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

# The CPU-scale size of this U-Net (4 stages, 16 base channels), for the
# `*_cpu.py` siblings of pretraining and fine-tuning alike:
# `model = dict(backbone=_base_.unet_tiny)`, so tiny pretraining and
# fine-tuning checkpoints stay key-compatible
# (tests/test_models/test_inpainting.py).
unet_tiny = dict(
    base_channels=16,
    num_stages=4,
    strides=(1, 1, 1, 1),
    enc_num_convs=(2, 2, 2, 2),
    dec_num_convs=(2, 2, 2),
    downsamples=(True, True, True),
    enc_dilations=(1, 1, 1, 1),
    dec_dilations=(1, 1, 1))
