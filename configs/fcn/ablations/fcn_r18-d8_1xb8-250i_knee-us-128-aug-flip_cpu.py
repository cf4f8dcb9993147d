# Recipe ablation (configs/study/recipe_ablation_knee_us.py): the lateral
# flip as the only augmentation beyond the native-scale rescale and crop
# (no ultrasound intensity changes); everything else as
# fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py.
_base_ = ['../fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py']

train_dataloader = _base_.train_dataloader
train_dataloader.dataset.pipeline = [
    t for t in train_dataloader.dataset.pipeline
    if not t.type.startswith('US')
]
