# U-Net fine-tuning from a dense contrastive checkpoint (GPU scale): the
# WHOLE U-Net transfers (encoder and decoder), fine-tuned immediately at
# Adam lr 1e-3, CE + batch Dice. It is the from-scratch baseline
#   configs/unet/unet-s5-d16_1xb8-adam-10ki_knee-us-256.py
# plus ONE switch, `pretrained_encoder`, from the pretraining
#   configs/dense_contrastive_unet/
#     dense-contrastive_unet-s5-d16_1xb16-adam-10ki_knee-us-256.py
# (run it first). Sweeps as in
# unet-tiny_1xb8-adam-500i_knee-us-128_dense-contrastive_cpu.py.
_base_ = ['../../unet/unet-s5-d16_1xb8-adam-10ki_knee-us-256.py']

pretrained_encoder = dict(
    checkpoint='work_dirs/dense-contrastive_unet-s5-d16_1xb16-adam-10ki'
    '_knee-us-256/iter_10000.pth',
    mode='encoder+decoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
