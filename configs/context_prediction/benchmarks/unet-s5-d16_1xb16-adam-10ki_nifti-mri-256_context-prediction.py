# Fine-tune a context-prediction checkpoint (GPU scale); only the checkpoint
# differs from the context-restoration benchmark.
_base_ = ['../../context_restoration/benchmarks/unet-s5-d16_context-restoration-pre_adam-lr1e-3-10k_nifti-mri-256.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/context-prediction_unet-s5-d16_1xb16-adam-10k'
    '_nifti-mri-256/iter_10000.pth',
    mode='encoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
