# ResNet-50 + full-resolution U-Net decoder (UNetHead) initialised from the
# MoCo v2 pretraining
#   configs/mocov2/mocov2_r50_1xb32-coslr-200e_knee-us-224.py
# i.e. configs/unethead/unethead_r50_1xb16-40ki_knee-us-256.py plus the one
# switch, `pretrained_encoder` (100 % of `backbone.` or the run stops).
# Another checkpoint: --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = ['../../unethead/unethead_r50_1xb16-40ki_knee-us-256.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/mocov2_r50_1xb32-coslr-200e_knee-us-224/'
    'epoch_200.pth')
custom_hooks = [dict(type='PretrainedEncoderHook')]
