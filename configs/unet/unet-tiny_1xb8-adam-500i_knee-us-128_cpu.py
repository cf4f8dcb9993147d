# CPU-scale sibling of unet-s5-d16_1xb8-adam-10ki_knee-us-256.py (used by the
# inpainting study preset and the tests): the 4-stage, 16-channel U-Net
# (`unet_tiny`), the 128 px data base, batch 8, 500 iterations validated at
# 250 and 500 (../_base_/schedules/adam-500i.py says why 500).
# FROM SCRATCH; the pretrained benchmarks inherit it.
_base_ = [
    '../_base_/models/unet-s5-d16.py',
    '../_base_/datasets/knee-us_seg-128.py',
    '../_base_/schedules/adam-500i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=_base_.unet_tiny,
    decode_head=dict(in_channels=16, in_index=3, channels=16))
# Geometry only: the base's RandomRescale + RandomCrop (entries 2-3), no
# flip and no intensity augmentation (the inpainting study's fine-tuning
# recipe, kept as measured).
train_pipeline = _base_.train_pipeline[:4] + _base_.train_pipeline[-1:]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(
        interval=500, max_keep_ckpts=1, save_best='mDice', rule='greater'))
