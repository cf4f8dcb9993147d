# Context prediction on knee ultrasound: patches filled with the dataset
# mean (exactly 0 after the preprocessor's normalisation).
_base_ = ['../context_restoration/context-restoration_unet-s5-d16_1xb16-adam-10k_knee-us-256.py']

model = dict(type='ContextPrediction')
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadUSImage'),
        dict(type='Resize', scale={{_base_.crop_size}}, keep_ratio=False),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='ContextPredictionCorruption', patch_size=32,
             sampling='poisson', fill={{_base_.mean}}, min_area_ratio=0.25,
             num_precomputed=100),
        dict(type='PackInputs', algorithm_keys=['gt_img', 'corruption_mask']),
    ]))
