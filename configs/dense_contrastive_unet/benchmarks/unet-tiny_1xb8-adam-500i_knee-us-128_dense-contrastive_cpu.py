# U-Net fine-tuning from a dense contrastive checkpoint (CPU scale): the
# WHOLE U-Net transfers (encoder and decoder, both trained by the pretext),
# fine-tuned immediately at Adam lr 1e-3, CE + batch Dice. It is the
# from-scratch baseline
#   configs/unet/unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py
# plus ONE switch, `pretrained_encoder`, from the pretraining
#   configs/dense_contrastive_unet/
#     dense-contrastive_unet-tiny_1xb16-adam-200i_knee-us-128_cpu.py
# (run it first). PretrainedEncoderHook logs the counts and raises if any
# encoder or decoder tensor fails to load. Sweeps (one variable each):
#   transfer mode:  --cfg-options pretrained_encoder.mode=encoder
#   checkpoint:     --cfg-options pretrained_encoder.checkpoint=PATH
#   label fraction: --cfg-options train_dataloader.dataset.label_fraction=10
#   from scratch:   --cfg-options pretrained_encoder=None
#   freeze first:   add dict(type='FreezeThenUnfreezeHook', freeze_iters=N,
#                   prefixes=['backbone.encoder.']) to custom_hooks
_base_ = ['../../unet/unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/dense-contrastive_unet-tiny_1xb16-adam-200i'
    '_knee-us-128_cpu/iter_200.pth',
    mode='encoder+decoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
