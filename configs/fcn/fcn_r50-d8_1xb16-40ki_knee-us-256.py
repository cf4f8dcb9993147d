# FCN R50-D8 (plain stem) fine-tuned on knee-ultrasound effusion, GPU scale:
# 40k iterations, batch 16, SGD lr 0.01 poly, 256 px crops.
# FROM SCRATCH: random initialisation (Kaiming convs, BN 1/0), the baseline
# every pretrained benchmark (configs/<method>/benchmarks/fcn_r50-d8_*)
# inherits and adds `pretrained_encoder` to. (An ImageNet-initialised
# baseline would be another variant; it needs downloaded weights and is not
# shipped.) CPU sibling: fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py.
#
# Label fraction, the one variable of the label-efficiency study (percent of
# the labelled training images, read from data/knee_us/splits/
# train_{pct}pct.txt; 100 = all):
#   --cfg-options train_dataloader.dataset.label_fraction=5
# InfiniteSampler: 5 % of a small set (12 images) is fine at any batch size.
# From a pretraining without a benchmark config:
#   --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = [
    '../_base_/models/fcn_r50-d8.py',
    '../_base_/datasets/knee-us_seg-256.py',
    '../_base_/schedules/sgd_poly-40ki.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=16, dataset=dict(label_fraction=100))

# val/test evaluator (from the dataset base): mIoU, mDice, plus per-class
# IoU/Dice scalars (IoU.background, IoU.effusion, ...).
default_hooks = dict(
    checkpoint=dict(
        interval=4000, max_keep_ckpts=1, save_best='mIoU', rule='greater'))
