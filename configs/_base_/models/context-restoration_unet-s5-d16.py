# Inpainting pretraining (context restoration by default) of the U-Net that
# unet-s5-d16.py fine-tunes: the backbone is that file's, built from the
# mmpretrain scope, so `backbone.encoder.*` / `backbone.decoder.*` keys map
# one to one (tests/test_models/test_inpainting.py checks it). Switch to
# context prediction with `model.type='ContextPrediction'` plus the matching
# pipeline transform (see configs/context_prediction/). No
# `data_preprocessor` here: the dataset base's (mean/std, to_rgb) is merged
# in by the Runner.
_base_ = ['./unet-s5-d16.py']

default_scope = 'mmpretrain'

model = dict(
    _delete_=True,
    type='ContextRestoration',
    # 'mmseg.' names the registry of the U-Net and of its upsampler (mmcv
    # builds the upsampler in the current scope, where InterpConv is not
    # registered).
    backbone=dict(
        _base_.model.backbone,
        type='mmseg.UNet',
        upsample_cfg=dict(type='mmseg.InterpConv')),
    # Output channels = image channels (3, the project's channel convention).
    head=dict(type='InpaintingHead', in_channels=64, out_channels=3,
              loss_region='all'))
