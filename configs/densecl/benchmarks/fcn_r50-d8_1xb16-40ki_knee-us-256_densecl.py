# FCN R50-D8 initialised from DenseCL pretraining: the from-scratch config
# plus ONE switch, the PretrainedEncoderHook. It loads the checkpoint's
# `backbone.` into the FCN's `backbone.` at train start and raises unless
# 100% of the encoder loaded with equal shapes (decode/auxiliary heads stay
# random); it does nothing on --resume.
#
# The checkpoint defaults to what `python tools/train.py
# configs/densecl_r50_knee.py` writes. Override it with
#   --cfg-options pretrained_encoder.checkpoint=work_dirs/x/epoch_200.pth
_base_ = ['./fcn_r50-d8_1xb16-40k_knee-us-256_scratch.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/densecl_r50_knee/epoch_200.pth')
custom_hooks = [dict(type='PretrainedEncoderHook')]
