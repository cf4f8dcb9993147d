# Fine-tune the CPU context-prediction checkpoint (same U-Net fine-tuning as
# the context-restoration benchmark; only the checkpoint differs).
_base_ = ['../../context_restoration/benchmarks/unet-tiny_context-restoration-pre_adam-lr1e-3-500it_nifti-mri-128_cpu.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/context-prediction_unet-tiny_1xb8-adam-120it'
    '_nifti-mri-128_cpu/iter_120.pth',
    mode='encoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
