# CPU-scale FCN initialised from the CPU SimCLR pretraining
#   configs/simclr/simclr_r18_1xb16-coslr-200i_knee-us-128_cpu.py
# i.e. the CPU from-scratch config plus the one switch (see
# fcn_r50-d8_1xb16-40k_knee-us-256_simclr.py). Override the checkpoint with
#   --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = [
    '../../densecl/benchmarks/fcn_r18-d8_1xb4-150i_knee-us-128_scratch_cpu.py'
]

pretrained_encoder = dict(
    checkpoint='work_dirs/simclr_r18_1xb16-coslr-200i_knee-us-128_cpu/'
               'iter_200.pth')
custom_hooks = [dict(type='PretrainedEncoderHook')]
