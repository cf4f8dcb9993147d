# U-Net fine-tuning from a context-restoration checkpoint, the study's best
# transfer: encoder only, fine-tuned immediately (no freezing) at Adam lr
# 1e-3, CE + batch Dice. The transfer is verified by PretrainedEncoderHook
# (counts logged; it raises if any encoder tensor fails to load).
# Sweeps (one variable each):
#   transfer mode:  --cfg-options pretrained_encoder.mode=encoder+decoder
#   freeze first:   add dict(type='FreezeThenUnfreezeHook', freeze_iters=1000,
#                   prefixes=['backbone.encoder.']) to custom_hooks
#   checkpoint:     --cfg-options pretrained_encoder.checkpoint=PATH
#   label fraction: --cfg-options train_dataloader.dataset.label_fraction=10
#   from scratch:   --cfg-options pretrained_encoder=None
_base_ = [
    '../../_base_/models/unet_seg.py',
    '../../_base_/datasets/nifti_mri_seg.py',
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
                    rule='greater'),
    visualization=dict(type='SegVisualizationHook'))
pretrained_encoder = dict(
    checkpoint='work_dirs/context-restoration_unet-s5-d16_1xb16-adam-10k'
    '_nifti-mri-256/iter_10000.pth',
    mode='encoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
