# U-Net fine-tuning from a context prediction checkpoint (CPU scale):
# encoder-only transfer, the inpainting study's best, fine-tuned immediately at
# Adam lr 1e-3, CE + batch Dice. It is the from-scratch baseline
#   configs/unet/unet-tiny_1xb8-adam-500i_nifti-mri-128_cpu.py
# plus ONE switch, `pretrained_encoder`, from the pretraining
#   configs/context_prediction/
#     context-prediction_unet-tiny_1xb8-adam-120i_nifti-mri-128_cpu.py
# (run it first). PretrainedEncoderHook logs the counts and raises if any
# encoder tensor fails to load. Sweeps (one variable each):
#   transfer mode:  --cfg-options pretrained_encoder.mode=encoder+decoder
#   checkpoint:     --cfg-options pretrained_encoder.checkpoint=PATH
#   label fraction: --cfg-options train_dataloader.dataset.label_fraction=10
#   from scratch:   --cfg-options pretrained_encoder=None
#   freeze first:   add dict(type='FreezeThenUnfreezeHook', freeze_iters=N,
#                   prefixes=['backbone.encoder.']) to custom_hooks
_base_ = ['../../unet/unet-tiny_1xb8-adam-500i_nifti-mri-128_cpu.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/context-prediction_unet-tiny_1xb8-adam-120i'
    '_nifti-mri-128_cpu/iter_120.pth',
    mode='encoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
