# Does the pile of unlabelled scans buy accuracy when only a few masks
# exist? The question of the project, answered for one data regime: every
# row trains the SAME tiny U-Net on the SAME fine-tuning schedule as the best
# supervised row; only the use of the unlabelled images differs.
#
#   python tools/study.py configs/study/unlabelled_vs_supervised_knee_us.py
#
# Rows:
#   unet_scratch         the tiny U-Net from scratch: the best supervised row
#   cr_unet              context restoration on the unlabelled pool -> the
#                        same U-Net (encoder + decoder transferred)
#   dc_unet              the dense contrastive pretraining of the whole
#                        U-Net (configs/dense_contrastive_unet/) -> the same
#                        U-Net (encoder + decoder)
#   mean_teacher         the same U-Net fine-tuned semi-supervised: every
#                        batch holds 8 labelled and 8 unlabelled crops; an
#                        EMA teacher's confident pseudo-labels on a weak view
#                        train the student on a strong (intensity + CutMix)
#                        view (configs/mean_teacher/)
#   cr_mean_teacher      context restoration -> mean teacher
# At 1, 5 and 100 % of the labels, 3 seeds. The unlabelled pool is the
# training images (all 450, labels unused): at 100 % the mean-teacher rows
# see no image the supervised row does not. Measured so far (2026-12-08):
# unet_scratch and mean_teacher at 1 % and 5 %, seeds 0-2, and 100 %, seed
# 0, both regimes (docs/results/README.md); the pretraining rows are not.
#
# Scale: half the recipe_vs_stock regimes (128 px images instead of 256,
# 64 px crops instead of 128), so that the runs of a regime fit an hour
# on 2 CPU cores; the same generator settings and set sizes (450 train /
# 60 val / 200 test; 1 % = 5 labelled images). The report states each row's
# cost (pretraining + fine-tuning minutes); equal fine-tuning iterations
# for every row.
_unet = 'configs/unet/unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py'
_unet_cr = ('configs/context_restoration/benchmarks/'
            'unet-tiny_1xb8-adam-500i_knee-us-128_context-restoration_cpu.py')
_unet_dc = ('configs/dense_contrastive_unet/benchmarks/'
            'unet-tiny_1xb8-adam-500i_knee-us-128_dense-contrastive_cpu.py')
_mt = ('configs/mean_teacher/'
       'mean-teacher_unet-tiny_1xb8+8-adam-500i_knee-us-128_cpu.py')
_mt_cr = ('configs/mean_teacher/benchmarks/'
          'mean-teacher_unet-tiny_1xb8+8-adam-500i_knee-us-128_'
          'context-restoration_cpu.py')
_crop64 = {
    # RandomCrop, after LoadUSImage, LoadUSAnnotations, RandomRescale
    'train_dataloader.dataset.pipeline.3.crop_size': (64, 64),
    'data_preprocessor.size': (64, 64),
}
_crop64_semi = {
    # the labelled set's RandomCrop (as above) and the unlabelled pool's
    # (after LoadUSImage, RandomRescale)
    'train_dataloader.dataset.datasets.0.pipeline.3.crop_size': (64, 64),
    'train_dataloader.dataset.datasets.1.pipeline.2.crop_size': (64, 64),
    'data_preprocessor.size': (64, 64),
}
_whole_unet = {'pretrained_encoder.mode': 'encoder+decoder'}
study = dict(
    name='unlabelled_vs_supervised',
    work_dir='work_dirs/uvs_a',
    data_root='data/knee_us_s128a',
    synthetic_if_absent=dict(
        num_train=450, num_val=60, num_test=200, size=128, seed=0),
    split_seed=0,
    data_stats=True,
    pretrain=dict(
        context_restoration=dict(
            config='configs/context_restoration/'
            'context-restoration_unet-tiny_1xb8-adam-120i_knee-us-128_cpu.py',
            # 2000 iterations of batch 8 (35 passes over the pool), step
            # decay at 90 %.
            cfg_options={
                'train_cfg.max_iters': 2000,
                'param_scheduler.0.milestones': [1800],
                'default_hooks.checkpoint.interval': 2000,
            }),
        dense_contrastive=dict(
            config='configs/dense_contrastive_unet/'
            'dense-contrastive_unet-tiny_1xb16-adam-200i_knee-us-128_cpu.py',
            # 1000 iterations of batch 16 (35 passes), step decay at 80 %.
            cfg_options={
                'train_cfg.max_iters': 1000,
                'param_scheduler.0.milestones': [800],
                'default_hooks.checkpoint.interval': 1000,
            })),
    initialisations=dict(
        unet_scratch=dict(config=_unet, cfg_options=_crop64),
        cr_unet=dict(
            config=_unet_cr, pretrain='context_restoration',
            baseline='unet_scratch',
            cfg_options=dict(_crop64, **_whole_unet)),
        dc_unet=dict(
            config=_unet_dc, pretrain='dense_contrastive',
            baseline='unet_scratch',
            cfg_options=dict(_crop64, **_whole_unet)),
        mean_teacher=dict(
            config=_mt, baseline='unet_scratch', cfg_options=_crop64_semi),
        cr_mean_teacher=dict(
            config=_mt_cr, pretrain='context_restoration',
            baseline='mean_teacher',
            cfg_options=dict(_crop64_semi, **_whole_unet)),
    ),
    baseline='unet_scratch',
    best_supervised='unet_scratch',
    comparisons=[('mean_teacher', 'unet_scratch'),
                 ('cr_mean_teacher', 'unet_scratch'),
                 ('cr_unet', 'unet_scratch'), ('dc_unet', 'unet_scratch')],
    label_fractions=[1, 5, 100],
    seeds=[0, 1, 2],
    amp=True,
    # The same number of iterations for every row and fraction (1000: one
    # pass over the 450 images is 57), the best of 2 validations tested.
    schedule=dict(
        epochs=1, min_iters=1000, max_iters=None, num_vals=2,
        save_best='mDice'),
    report_metrics=['mIoU', 'mDice'],
    primary_metric='mIoU',
    practical_threshold=1.0,
    clinical=True,
    tsne=dict(enabled=False),
)
