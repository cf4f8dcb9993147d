# mmseg's STOCK FCN fine-tuning recipe at the CPU study's scale: the
# reference row of every study (the GPU-scale stock row is
# fcn_r50-d8_stock_1xb16-40ki_knee-us-128.py, which says what is mmseg's).
# Only scale changes: ResNet-18 (mmseg's fcn_r18-d8 channels), batch 8, 250
# iterations validated at the end, data loaded in the main process.
# From a pretraining, add the transfer:
#   --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = ['./fcn_r50-d8_stock_1xb16-40ki_knee-us-128.py']

model = dict(
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = dict(num_workers=0, persistent_workers=False)
param_scheduler = _base_.param_scheduler
param_scheduler[0].end = 250  # PolyLR
train_cfg = dict(max_iters=250, val_interval=250)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=250),
    visualization=dict(draw=False))
