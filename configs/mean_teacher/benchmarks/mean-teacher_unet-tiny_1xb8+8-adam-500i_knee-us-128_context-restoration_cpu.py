# Semi-supervised fine-tuning (mean teacher) of a U-Net pretrained by
# context restoration (CPU scale): the from-scratch mean teacher
#   configs/mean_teacher/mean-teacher_unet-tiny_1xb8+8-adam-500i_knee-us-128_cpu.py
# plus ONE switch, `pretrained_encoder`, from the pretraining
#   configs/context_restoration/
#     context-restoration_unet-tiny_1xb8-adam-120i_knee-us-128_cpu.py
# (run it first). The weights go into the student (PretrainedEncoderHook
# checks that every tensor loaded); MeanTeacherHook then copies the student
# into the teacher. The whole U-Net (encoder and decoder):
#   --cfg-options pretrained_encoder.mode=encoder+decoder
_base_ = ['../mean-teacher_unet-tiny_1xb8+8-adam-500i_knee-us-128_cpu.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/context-restoration_unet-tiny_1xb8-adam-120i'
    '_knee-us-128_cpu/iter_120.pth',
    mode='encoder')
custom_hooks = [
    dict(type='PretrainedEncoderHook'),
    dict(type='MeanTeacherHook', momentum=0.01, rampup_ratio=0.4),
]
