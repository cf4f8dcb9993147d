# CPU-scale sibling: the restoration CPU sizes with the prediction task.
_base_ = ['../context_restoration/context-restoration_unet-tiny_1xb8-adam-120it_knee-us-128_cpu.py']

model = dict(type='ContextPrediction')
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadUSImage'),
        dict(type='Resize', scale=(128, 128), keep_ratio=False),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='ContextPredictionCorruption', patch_size=32,
             sampling='poisson', fill={{_base_.mean}}, min_area_ratio=0.25,
             num_precomputed=100),
        dict(type='PackInputs', algorithm_keys=['gt_img', 'corruption_mask']),
    ]))
