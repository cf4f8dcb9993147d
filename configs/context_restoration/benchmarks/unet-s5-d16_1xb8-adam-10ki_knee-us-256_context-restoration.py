# U-Net fine-tuning on knee ultrasound from a context-restoration checkpoint:
# encoder only, immediately at Adam lr 1e-3, CE + batch Dice.
# Sweeps: pretrained_encoder.mode=encoder+decoder
#   | train_dataloader.dataset.label_fraction=5 | pretrained_encoder=None
#   (scratch); freezing: see the MRI config
_base_ = [
    '../../_base_/models/unet_seg.py',
    '../../_base_/datasets/knee_us_seg.py',
    '../../_base_/schedules/adam_lr1e-3_10k.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(
        mean={{_base_.mean}}, std={{_base_.std}},
        size={{_base_.crop_size}}))
train_cfg = dict(val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(interval=1000, max_keep_ckpts=2, save_best='mDice',
                    rule='greater'))
pretrained_encoder = dict(
    checkpoint='work_dirs/context-restoration_unet-s5-d16_1xb16-adam-10k'
    '_knee-us-256/iter_10000.pth',
    mode='encoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
