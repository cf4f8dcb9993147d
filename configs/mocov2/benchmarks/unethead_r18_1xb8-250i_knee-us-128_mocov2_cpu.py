# CPU-scale ResNet-18 + full-resolution U-Net decoder (UNetHead) initialised
# from the CPU MoCo v2 pretraining
#   configs/mocov2/mocov2_r18_1xb16-coslr-200i_knee-us-128_cpu.py
# i.e. configs/unethead/unethead_r18_1xb8-250i_knee-us-128_cpu.py plus the one
# switch, `pretrained_encoder` (100 % of `backbone.` or the run stops).
# Another checkpoint: --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = ['../../unethead/unethead_r18_1xb8-250i_knee-us-128_cpu.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/mocov2_r18_1xb16-coslr-200i_knee-us-128_cpu/'
    'iter_200.pth')
custom_hooks = [dict(type='PretrainedEncoderHook')]
