# FCN R50-D8 initialised from DenseCL pretraining: the from-scratch config
# plus ONE switch, the PretrainedEncoderHook. It loads the checkpoint's
# `backbone.` into the FCN's `backbone.` at train start and raises unless
# 100% of the encoder loaded with equal shapes (decode/auxiliary heads stay
# random); it does nothing on --resume.
#
# The checkpoint defaults to what `python tools/train.py
# configs/densecl_r50_knee.py` writes. `pretrained_ckpt` is substituted when
# this file is parsed, so overriding it with --cfg-options does NOT reach the
# hook. Override the hook itself:
#   --cfg-options custom_hooks.0.checkpoint=work_dirs/my_densecl/epoch_200.pth
_base_ = ['./fcn_r50-d8_1xb16-40k_knee-us-256_scratch.py']

pretrained_ckpt = 'work_dirs/densecl_r50_knee/epoch_200.pth'
custom_hooks = [
    dict(type='PretrainedEncoderHook', checkpoint=pretrained_ckpt)
]
