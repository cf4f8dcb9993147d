# Semi-supervised fine-tuning of the tiny U-Net (CPU scale): the labelled
# images AND the unlabelled pool in every batch, with an EMA teacher whose
# confident predictions on a weak view are the student's targets on a
# strong view (MeanTeacherSegmentor; docs in configs/mean_teacher/README.md).
# FROM SCRATCH; the pretrained benchmark (benchmarks/) adds one switch,
# `pretrained_encoder`. Everything else is the supervised U-Net's
#   configs/unet/unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py
# model, labelled pipeline, batch of 8 labelled crops, optimiser and
# schedule, so that a row that uses this config differs from the best
# supervised row only by the unlabelled images.
#
# Select a label fraction on the LABELLED dataset (the first one):
#   --cfg-options train_dataloader.dataset.datasets.0.label_fraction=5
# Add unlabelled folders to the pool (relative to data_root or absolute):
#   --cfg-options "train_dataloader.dataset.datasets.1.roots=[img_dir/train,/data/more_scans]"
# (Its four bases are the supervised U-Net leaf's, so that a pretrained
# benchmark stays 3 files deep.)
_base_ = [
    '../_base_/models/unet-s5-d16.py',
    '../_base_/datasets/knee-us_seg-128.py',
    '../_base_/schedules/adam-500i.py',
    '../_base_/default_runtime.py',
]

# The supervised tiny U-Net (as in the unet leaf), built twice (student
# and teacher).
_segmentor = _base_.model
_segmentor.backbone.update(_base_.unet_tiny)
_segmentor.decode_head.update(in_channels=16, in_index=3, channels=16)
model = dict(
    _delete_=True,
    type='MeanTeacherSegmentor',
    segmentor=_segmentor,
    semi_train_cfg=dict(
        sup_weight=1.0,
        unsup_weight=1.0,
        unsup_loss='pseudo_label',
        # Pseudo-labels: no absolute confidence floor (this U-Net never gets
        # above ~0.7 on effusion pixels within a few hundred iterations, so
        # FixMatch's 0.95 keeps background only), but per predicted class
        # the 80 % most confident pixels (README.md of this folder).
        threshold=0.0,
        class_keep_ratio=0.8,
        # CutMix between two unlabelled crops (and their pseudo-labels).
        cutmix_prob=0.5,
        cutmix_area=(0.25, 0.5)),
    semi_test_cfg=dict(predict_on='teacher'))
# Same arguments as the base's SegDataPreProcessor (mean/std overrides of
# `data_preprocessor.*` reach it); each branch preprocessed alike.
data_preprocessor = dict(type='MultiBranchSegDataPreProcessor')

# Labelled: the U-Net leaf's geometry-only pipeline (load, rescale, crop:
# the base's entries 0-3), packed as branch 'sup'.
_sup_pipeline = _base_.train_pipeline[:4] + [
    dict(type='MultiBranch', sup=[dict(type='PackSegInputs')])
]
# Unlabelled: the same geometry (no mask, so the crop cannot avoid a
# one-class crop: cat_max_ratio=1), then a weak view for the teacher (as
# is) and a strong one for the student (ultrasound-safe intensity changes:
# gain/gamma, depth gain, speckle, blur; never a geometric change, so that
# the teacher's pseudo-label fits the student's view pixel for pixel).
_unsup_pipeline = [
    dict(type='LoadUSImage'),
    dict(type='RandomRescale', ratio_range=(0.5, 2.0)),
    dict(type='RandomCrop', crop_size=_base_.crop_size, cat_max_ratio=1.0),
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
_labelled = dict(_base_.train_dataloader.dataset, pipeline=_sup_pipeline)
_unlabelled = dict(
    type='mmpretrain.UnlabelledImageDataset',
    data_root=_base_.data_root,
    # The unlabelled pool: every training image (labelled or not), as in
    # FixMatch; add folders of unlabelled scans here.
    roots=['img_dir/train'],
    pipeline=_unsup_pipeline)
# 8 labelled + 8 unlabelled crops per batch: the labelled part is the
# supervised U-Net's batch.
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
        datasets=[_labelled, _unlabelled],
        # The unlabelled pool has no classes: the ConcatDataset takes the
        # labelled set's metainfo.
        ignore_keys=['classes', 'palette', 'label_map',
                     'reduce_zero_label']))

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(
        interval=500, max_keep_ckpts=1, save_best='mDice', rule='greater'))
custom_hooks = [
    # EMA teacher (time constant ~100 iterations at this scale) and a
    # pseudo-label weight that ramps up over the first 40 % of the run,
    # while the student still predicts background only.
    dict(type='MeanTeacherHook', momentum=0.01, rampup_ratio=0.4),
]
