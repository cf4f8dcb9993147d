# U-Net fine-tuning from a context restoration checkpoint (CPU scale) on
# the real-MRI worked example (docs/mri_example.md): the from-scratch
# baseline
#   configs/unet/unet-tiny_1xb8-adam-2000i_mri-colin27-128_cpu.py
# plus ONE switch, `pretrained_encoder` (encoder-only transfer), from
#   configs/context_restoration/
#     context-restoration_unet-tiny_1xb8-adam-120i_nifti-mri-128_cpu.py
# pretrained on the example's training volumes (run it first with
# --data-root data/mri_colin27 --work-dir work_dirs/context-restoration_mri-colin27;
# configs/study/mri_colin27.py does both).
#   from scratch:   --cfg-options pretrained_encoder=None
_base_ = ['../../unet/unet-tiny_1xb8-adam-2000i_mri-colin27-128_cpu.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/context-restoration_mri-colin27/iter_120.pth',
    mode='encoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
