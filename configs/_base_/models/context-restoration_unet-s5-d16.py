# Inpainting pretraining (context restoration by default) of the mmseg U-Net
# that `unet_seg.py` fine-tunes: the `backbone` dict below is the same as
# there, so `backbone.encoder.*` / `backbone.decoder.*` keys map one to one
# (tests/test_models/test_inpainting.py checks it).
# GroupNorm + weight standardisation (mmcv `ConvWS`) and He initialisation,
# as in the inpainting study; use `norm_cfg=dict(type='BN')` and
# `conv_cfg=None` to switch them off. Switch to context prediction with
# `model.type='ContextPrediction'` plus the matching pipeline transform (see
# configs/context_prediction/).
default_scope = 'mmpretrain'

conv_cfg = dict(type='ConvWS')
norm_cfg = dict(type='GN', num_groups=8, requires_grad=True)
model = dict(
    type='ContextRestoration',
    data_preprocessor=dict(type='SelfSupDataPreprocessor', to_rgb=True),
    backbone=dict(
        # mmseg's U-Net from the mmpretrain scope.
        type='mmseg.UNet',
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
        # 'mmseg.' prefix: mmcv builds the upsampler in the current (mmpretrain)
        # scope, where InterpConv is not registered.
        upsample_cfg=dict(type='mmseg.InterpConv'),
        norm_eval=False,
        # He initialisation of every convolution (ConvWS2d is a Conv2d).
        init_cfg=dict(type='Kaiming', layer='Conv2d', mode='fan_in',
                      nonlinearity='relu')),
    # Output channels = image channels (3, the project's channel convention).
    head=dict(type='InpaintingHead', in_channels=64, out_channels=3,
              loss_region='all'))

# The CPU-scale size of this U-Net (4 stages, 16 base channels), for the
# `*_cpu.py` siblings: `model = dict(backbone={{_base_.unet_tiny}})`. The same
# dict is in `unet_seg.py`, so tiny pretraining and fine-tuning
# checkpoints stay key-compatible (tests/test_models/test_inpainting.py).
unet_tiny = dict(
    base_channels=16,
    num_stages=4,
    strides=(1, 1, 1, 1),
    enc_num_convs=(2, 2, 2, 2),
    dec_num_convs=(2, 2, 2),
    downsamples=(True, True, True),
    enc_dilations=(1, 1, 1, 1),
    dec_dilations=(1, 1, 1))
