# Recipe ablation (configs/study/recipe_ablation_knee_us.py): cross-entropy
# alone (no batch Dice) in the decode head, as mmseg's FCN; everything else
# as fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py.
_base_ = ['../fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py']

model = _base_.model
model.decode_head.loss_decode = dict(
    type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)
