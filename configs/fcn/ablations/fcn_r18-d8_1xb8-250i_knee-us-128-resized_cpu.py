# Recipe ablation (configs/study/recipe_ablation_knee_us.py): the fine-tuning
# RESOLUTION of ussl_mm's earlier recipe. Crops of 50-100 % of the image
# resized to 128 px (about 2x below the native scale of the 256 px images)
# and the test image resized to 128 px, as the CPU siblings did before
# issue 8; everything else as fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py.
_base_ = ['../fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py']

train_dataloader = _base_.train_dataloader
train_dataloader.dataset.pipeline = [
    dict(type='LoadUSImage'),
    dict(type='LoadUSAnnotations'),
    dict(type='USRandomResizedCrop', size=(128, 128), scale=(0.5, 1.0),
         ratio=(3. / 4., 4. / 3.)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='USRandomAffine', prob=0.5, max_angle=10, scale=(0.9, 1.1)),
    dict(type='USGainGamma', prob=0.8, gain=(0.8, 1.2), gamma=(0.8, 1.25)),
    dict(type='USDepthGain', prob=0.3, slope=(-0.3, 0.3)),
    dict(type='USSpeckleNoise', prob=0.3, sigma=(0.05, 0.15)),
    dict(type='PackSegInputs'),
]
val_dataloader = _base_.val_dataloader
val_dataloader.dataset.pipeline = [
    dict(type='LoadUSImage'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    # masks are loaded after Resize: metrics run at the original size
    dict(type='LoadUSAnnotations'),
    dict(type='PackSegInputs'),
]
test_dataloader = _base_.test_dataloader
test_dataloader.dataset.pipeline = val_dataloader.dataset.pipeline
