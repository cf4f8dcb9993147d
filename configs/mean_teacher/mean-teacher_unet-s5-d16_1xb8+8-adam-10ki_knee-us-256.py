# Semi-supervised fine-tuning of the U-Net s5-d16 (GPU scale): every batch
# holds 8 labelled and 8 unlabelled crops of 256 px; an EMA teacher's
# predictions on a weak view of the unlabelled crops train the student on a
# strong view (MeanTeacherSegmentor; configs/mean_teacher/README.md). The
# supervised twin is configs/unet/unet-s5-d16_1xb8-adam-10ki_knee-us-256.py
# (same bases, labelled pipeline, batch and schedule). The CPU-scale sibling
# (tiny U-Net, 64-128 px crops, 500 iterations) is
# mean-teacher_unet-tiny_1xb8+8-adam-500i_knee-us-128_cpu.py; the
# semi-supervised keys below are explained there.
#
#   --cfg-options train_dataloader.dataset.datasets.0.label_fraction=5
#   --cfg-options pretrained_encoder.checkpoint=PATH pretrained_encoder.mode=encoder+decoder
_base_ = [
    '../_base_/models/unet-s5-d16.py',
    '../_base_/datasets/knee-us_seg-256.py',
    '../_base_/schedules/adam-10ki.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='MeanTeacherSegmentor',
    segmentor=_base_.model,
    semi_train_cfg=dict(
        sup_weight=1.0,
        unsup_weight=1.0,
        unsup_loss='pseudo_label',
        threshold=0.0,
        class_keep_ratio=0.8,
        cutmix_prob=0.5,
        cutmix_area=(0.25, 0.5)),
    semi_test_cfg=dict(predict_on='teacher'))
data_preprocessor = dict(type='MultiBranchSegDataPreProcessor')

# Labelled: the GPU U-Net's pipeline (the dataset base's), packed as 'sup'.
_sup_pipeline = _base_.train_pipeline[:-1] + [
    dict(type='MultiBranch', sup=[dict(type='PackSegInputs')])
]
_unsup_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='RandomRescale', ratio_range=(0.5, 2.0)),
    dict(type='RandomCrop', crop_size=_base_.crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='MultiBranch',
        unsup_teacher=[dict(type='PackSegInputs')],
        unsup_student=[
            dict(type='USGainGamma', prob=1.0, gain=(0.6, 1.4),
                 gamma=(0.6, 1.6)),
            dict(type='USDepthGain', prob=0.5, slope=(-0.4, 0.4)),
            dict(type='USSpeckleNoise', prob=0.5, sigma=(0.05, 0.2)),
            dict(type='USGaussianBlur', prob=0.3, sigma=(0.1, 1.5)),
            dict(type='PackSegInputs'),
        ]),
]
train_dataloader = dict(
    batch_size=16,
    sampler=dict(
        _delete_=True,
        type='MultiSourceSampler',
        batch_size=16,
        source_ratio=[1, 1]),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(_base_.train_dataloader.dataset, pipeline=_sup_pipeline),
            dict(
                type='mmpretrain.UnlabelledImageDataset',
                data_root=_base_.data_root,
                roots=['img_dir/train'],
                pipeline=_unsup_pipeline),
        ],
        ignore_keys=['classes', 'palette', 'label_map',
                     'reduce_zero_label']))

train_cfg = dict(val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(max_keep_ckpts=2, save_best='mDice', rule='greater'))
# EMA over ~1000 iterations at this scale (momentum 0.001, as mmdet's).
custom_hooks = [
    dict(type='MeanTeacherHook', momentum=0.001, rampup_ratio=0.4),
]
