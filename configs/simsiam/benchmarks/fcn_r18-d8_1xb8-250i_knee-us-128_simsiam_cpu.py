# CPU-scale FCN R18-D8 initialised from the CPU SimSiam pretraining
#   configs/simsiam/simsiam_r18_1xb16-coslr-200i_knee-us-128_cpu.py
# i.e. the CPU from-scratch baseline
# configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py plus the one switch
# (see fcn_r50-d8_1xb16-40ki_knee-us-256_simsiam.py). Another checkpoint:
#   --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = ['../../fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/simsiam_r18_1xb16-coslr-200i_knee-us-128_cpu/'
    'iter_200.pth')
custom_hooks = [dict(type='PretrainedEncoderHook')]
