# SimCLR pretraining of a plain-stem ResNet-50 on knee ultrasound (GPU
# scale): mmpretrain's ImageNet recipe (LARS momentum 0.9, wd 1e-6, no decay
# or trust ratio on BN/bias, 10 warm-up epochs then cosine, 200 epochs,
# temperature 0.1, 2-layer projector 2048-2048-128) at batch 32 (1 GPU x 32),
# lr 0.3 * 32 / 256 (../_base_/schedules/lars_coslr-200e.py).
#
# Batch 32, like DenseCL/MoCo v2: SimCLR's negatives are the other images
# of the batch, 2 x 32 - 2 = 62 here against 8,190 in the 4096-batch paper
# runs. That is SimCLR's known weakness at small batch (MoCo's queue exists
# to fix it); the SimCLR paper also suggests square-root lr scaling,
# 0.075 * sqrt(B), for small batches. Try
#   --cfg-options train_dataloader.batch_size=128 \
#       optim_wrapper.optimizer.lr=0.15
# if the memory allows.
#
# Views: mmpretrain's SimCLR pipeline uses a strong colour jitter
# (brightness/contrast/saturation 0.8, hue 0.2, 20% grayscale) so the network
# cannot match views by their colour histogram. A B-mode image has no colour
# (hue, saturation and grayscale are no-ops on it), and brightness/contrast
# of 0.8 (gain x0.2-x1.8) would erase echogenicity, which is the signal (an
# effusion is anechoic, i.e. dark). The intensity-histogram shortcut is
# broken by the milder monotone gain/gamma, the depth (TGC) gain and speckle
# of ../_base_/datasets/knee-us_2view-224.py, used unchanged; its blur matches
# SimCLR's (p=0.5).
# The checkpoint's `backbone.` is consumed by
# benchmarks/fcn_r50-d8_1xb16-40ki_knee-us-256_simclr.py.
_base_ = [
    '../_base_/models/simclr_r50.py',
    '../_base_/datasets/knee-us_2view-224.py',
    '../_base_/schedules/lars_coslr-200e.py',
    '../_base_/default_runtime.py',
]

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(by_epoch=True, interval=10))
log_processor = dict(by_epoch=True)
