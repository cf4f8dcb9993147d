# FCN R50-D8 initialised from SimCLR pretraining
#   configs/simclr/simclr_r50_1xb32-coslr-200e_knee-us-224.py
# i.e. the from-scratch baseline
#   configs/fcn/fcn_r50-d8_1xb16-40ki_knee-us-256.py
# plus ONE switch, `pretrained_encoder`: at train start PretrainedEncoderHook
# loads the checkpoint's `backbone.` into the FCN's `backbone.` and raises
# unless 100% of the encoder loaded with equal shapes (decode/auxiliary
# heads stay random; neck, projector and momentum encoder are ignored); it
# does nothing on resume. The checkpoint defaults to what tools/train.py
# writes for that config; another one:
#   --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = ['../../fcn/fcn_r50-d8_1xb16-40ki_knee-us-256.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/simclr_r50_1xb32-coslr-200e_knee-us-224/'
    'epoch_200.pth')
custom_hooks = [dict(type='PretrainedEncoderHook')]
