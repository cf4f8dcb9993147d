# FCN R50-D8 initialised from SimSiam pretraining, i.e. from
#   configs/simsiam/simsiam_r50_1xb32-coslr-200e_knee-us-224.py
# It is the DenseCL benchmarks' from-scratch config plus ONE switch, the
# PretrainedEncoderHook: it loads the checkpoint's `backbone.` into the
# FCN's `backbone.` at train start and raises unless 100% of the encoder
# loaded with equal shapes (decode/auxiliary heads stay random; projector,
# predictor and momentum encoder are ignored); it does nothing on --resume.
#
# The checkpoint defaults to what tools/train.py writes for that config.
# Override it with
#   --cfg-options pretrained_encoder.checkpoint=work_dirs/my_simsiam/epoch_200.pth
_base_ = [
    '../../densecl/benchmarks/fcn_r50-d8_1xb16-40k_knee-us-256_scratch.py'
]

pretrained_encoder = dict(
    checkpoint='work_dirs/simsiam_r50_1xb32-coslr-200e_knee-us-224/'
               'epoch_200.pth')
custom_hooks = [dict(type='PretrainedEncoderHook')]
