# ResNet-50 + full-resolution U-Net decoder (UNetHead) initialised from the
# DenseCL pretraining
#   configs/densecl_r50_knee.py
# i.e. configs/unethead/unethead_r50_1xb16-40ki_knee-us-256.py plus the one
# switch, `pretrained_encoder` (100 % of `backbone.` or the run stops).
# Another checkpoint: --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = ['../../unethead/unethead_r50_1xb16-40ki_knee-us-256.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/densecl_r50_knee/'
    'epoch_200.pth')
custom_hooks = [dict(type='PretrainedEncoderHook')]
