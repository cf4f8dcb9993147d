# FCN R50-D8 initialised from Barlow Twins pretraining, i.e. from
#   configs/barlowtwins/barlowtwins_r50_1xb32-coslr-300e_knee-us-224.py
# It is the DenseCL benchmarks' from-scratch config plus ONE switch, the
# PretrainedEncoderHook: it loads the checkpoint's `backbone.` into the
# FCN's `backbone.` at train start and raises unless 100% of the encoder
# loaded with equal shapes (decode/auxiliary heads stay random; projector,
# predictor and momentum encoder are ignored); it does nothing on --resume.
#
# The checkpoint defaults to what tools/train.py writes for that config.
# Override it with
#   --cfg-options \
#       pretrained_encoder.checkpoint=work_dirs/my_barlowtwins/epoch_300.pth
_base_ = [
    '../../densecl/benchmarks/fcn_r50-d8_1xb16-40k_knee-us-256_scratch.py'
]

pretrained_encoder = dict(
    checkpoint='work_dirs/barlowtwins_r50_1xb32-coslr-300e_knee-us-224/'
               'epoch_300.pth')
custom_hooks = [dict(type='PretrainedEncoderHook')]
