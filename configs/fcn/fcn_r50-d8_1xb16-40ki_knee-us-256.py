# FCN R50-D8 (plain stem) fine-tuned on knee-ultrasound effusion, GPU scale:
# 40k iterations, batch 16, SGD lr 0.01 poly, 256 px crops.
# FROM SCRATCH: random initialisation (Kaiming convs, BN 1/0), the baseline
# the DenseCL variant is compared with. (An ImageNet-initialised baseline
# would be a third variant; it needs downloaded weights and is not shipped.)
#
# Label fraction, the one variable of the label-efficiency study (percent of
# the labelled training images, read from data/knee_us/splits/
# train_{pct}pct.txt; 100 = all):
#   --cfg-options train_dataloader.dataset.label_fraction=5
# InfiniteSampler: 5 % of a small set (12 images) is fine at any batch size.
_base_ = [
    '../../_base_/models/fcn_r50-d8.py',
    '../../_base_/datasets/knee_us_seg.py',
    '../../_base_/schedules/sgd_poly_40k.py',
    '../../_base_/default_runtime.py',
]

label_fraction = 100

train_dataloader = dict(
    batch_size=16, dataset=dict(label_fraction=label_fraction))

# val/test evaluator (from knee_us_seg.py): mIoU, mDice, plus per-class
# IoU/Dice scalars (IoU.background, IoU.effusion, ...).
default_hooks = dict(
    checkpoint=dict(
        by_epoch=False, interval=4000, max_keep_ckpts=1, save_best='mIoU',
        rule='greater'))
