# U-Net fine-tuning from a context restoration checkpoint:
# encoder-only transfer, the inpainting study's best, fine-tuned immediately at
# Adam lr 1e-3, CE + batch Dice. It is the from-scratch baseline
#   configs/unet/unet-s5-d16_1xb8-adam-10ki_knee-us-256.py
# plus ONE switch, `pretrained_encoder`, from the pretraining
#   configs/context_restoration/
#     context-restoration_unet-s5-d16_1xb16-adam-10ki_knee-us-256.py
# (run it first). PretrainedEncoderHook logs the counts and raises if any
# encoder tensor fails to load. Sweeps (one variable each):
#   transfer mode:  --cfg-options pretrained_encoder.mode=encoder+decoder
#   checkpoint:     --cfg-options pretrained_encoder.checkpoint=PATH
#   label fraction: --cfg-options train_dataloader.dataset.label_fraction=10
#   from scratch:   --cfg-options pretrained_encoder=None
#   freeze first:   add dict(type='FreezeThenUnfreezeHook', freeze_iters=N,
#                   prefixes=['backbone.encoder.']) to custom_hooks
_base_ = ['../../unet/unet-s5-d16_1xb8-adam-10ki_knee-us-256.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/context-restoration_unet-s5-d16_1xb16-adam-10ki'
    '_knee-us-256/iter_10000.pth',
    mode='encoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
