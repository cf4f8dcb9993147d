# The quickstart: a small preset of a label-efficiency study.
#
#   python tools/study.py configs/study/quickstart_knee_us.py
#
# On the embedded synthetic knee-ultrasound set, at HALF the scale of the
# CPU studies so that the study runs in about 8 minutes on 2 CPU cores
# (about 10 cold, with the install; README):
# 128 px images (240 train / 40 val / 60 test), 64 px crops and views; the
# recipe is otherwise ussl_mm's (recipe_vs_stock_knee_us.py runs it at
# 256 px with 128 px crops). It
#   1. pretrains ussl_mm's DenseCL (ResNet-18, 200 iterations, batch 16);
#   2. fine-tunes, at 5 % and 100 % of the labels, FCN-R18-D8 from scratch
#      and from that DenseCL (the same fine-tuning recipe), the best
#      supervised row, a tiny U-Net from scratch, and the recommended
#      recipe, the same U-Net fine-tuned with the unlabelled images in every
#      batch (mean teacher, configs/mean_teacher/); the FCN rows get the
#      same number of passes over their own images (at least 150
#      iterations), the U-Net rows 500 iterations each; the best checkpoint
#      on validation is tested;
#   3. writes work_dirs/quickstart/results.md: every table and figure
#      (label-fraction curve, head-to-head comparisons, clinical errors,
#      t-SNE), every command, the environment.
# (mmpretrain's stock DenseCL against ours: recipe_vs_stock_knee_us.py.)
#
# Every key is documented in docs/study.md; unknown keys are refused. A
# full study is the same file with more of everything, e.g.
#   --fractions 1 5 10 25 50 100 --seeds 0 1 2
# (configs/study/label_curve_knee_us.py). Re-running skips finished runs and
# resumes interrupted ones.
_fcn = 'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py'
# Quickstart scale: 64 px crops / views (pipeline entries named below).
_crop64 = {
    # RandomCrop, after LoadUSImage, LoadUSAnnotations, RandomRescale
    'train_dataloader.dataset.pipeline.3.crop_size': (64, 64),
    'data_preprocessor.size': (64, 64),
}
study = dict(
    name='quickstart',
    work_dir='work_dirs/quickstart',
    data_root='data/knee_us',
    # Generated when data_root/img_dir is absent (the embedded default).
    synthetic_if_absent=dict(
        num_train=240, num_val=40, num_test=60, size=128, seed=0),
    split_seed=0,
    # Normalise ussl_mm's runs with the gray mean/std of data_root's training
    # images (computed once; in every logged command as cfg-options).
    data_stats=True,
    pretrain=dict(
        densecl=dict(
            config='configs/densecl/'
            'densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py',
            cfg_options={
                # USRandomResizedCrop of the two views
                'train_dataloader.dataset.pipeline.1.transforms.0.0.size': 64
            })),
    initialisations=dict(
        scratch=dict(config=_fcn, cfg_options=_crop64),
        densecl=dict(
            config=_fcn, pretrain='densecl', baseline='scratch',
            cfg_options=_crop64),
        # The strongest thing one can do without pretraining.
        unet_scratch=dict(
            config='configs/unet/unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py',
            cfg_options={
                'train_dataloader.dataset.pipeline.3.crop_size': (64, 64),
                'data_preprocessor.size': (64, 64),
            },
            # From scratch the GN+WS U-Net predicts only background for
            # its first few hundred iterations (at 100 %: still at 300).
            schedule=dict(min_iters=500)),
        # The recommended recipe: the same U-Net and schedule, fine-tuned
        # with the unlabelled images in every batch (a mean teacher).
        mean_teacher=dict(
            config='configs/mean_teacher/'
            'mean-teacher_unet-tiny_1xb8+8-adam-500i_knee-us-128_cpu.py',
            baseline='unet_scratch',
            cfg_options={
                'train_dataloader.dataset.datasets.0.pipeline.3.crop_size':
                (64, 64),
                'train_dataloader.dataset.datasets.1.pipeline.2.crop_size':
                (64, 64),
                'data_preprocessor.size': (64, 64),
            },
            schedule=dict(min_iters=500)),
    ),
    baseline='scratch',
    best_supervised='unet_scratch',
    comparisons=[('mean_teacher', 'unet_scratch'), ('densecl', 'scratch')],
    label_fractions=[5, 100],
    seeds=[0],
    # bf16 autocast + channels_last on CPU (fp16 AMP on a GPU).
    amp=True,
    # 10 passes over the fraction's images, at least 150 iterations (5 %:
    # 12 images, 150 iterations; 100 %: 240 images, 300 iterations), the
    # best of 2 validations tested.
    schedule=dict(
        epochs=10, min_iters=150, max_iters=None, num_vals=2,
        save_best='mDice'),
    finetune_cfg_options=dict(),
    report_metrics=['mIoU', 'mDice'],
    primary_metric='mIoU',
    practical_threshold=1.0,
    clinical=True,
    tsne=dict(enabled=True, split='test', max_images=None, perplexity=20.0),
)
