# The quickstart: a small preset of a label-efficiency study.
#
#   python tools/study.py configs/study/quickstart_knee_us.py
#
# Pretrains DenseCL (CPU-scale ResNet-18), then fine-tunes FCN-R18-D8 from
# random init ("scratch") and from the DenseCL encoder, and the best
# supervised row (a tiny U-Net from scratch, CE + batch Dice), at 5 % and
# 100 % of the training labels; tests the best-on-validation checkpoint of
# every run on the test split; writes work_dirs/quickstart/results.md (every
# table and figure, every command, the environment).
#
# Every key is documented in docs/study.md; unknown keys are refused.
# A full study is the same file with more of everything, e.g.
#   --fractions 1 5 10 25 50 100 --seeds 0 1 2
# (configs/study/label_curve_knee_us.py). Re-running skips finished runs and
# resumes interrupted ones.
study = dict(
    name='quickstart',
    work_dir='work_dirs/quickstart',
    data_root='data/knee_us',
    # Generated when data_root/img_dir is absent (the embedded default).
    synthetic_if_absent=dict(
        num_train=240, num_val=60, num_test=60, size=256, seed=0),
    split_seed=0,
    # Normalise every run with the gray mean/std of data_root's training
    # images (computed once; in every logged command as cfg-options).
    data_stats=True,
    pretrain=dict(
        densecl=dict(
            config='configs/densecl/'
            'densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py')),
    initialisations=dict(
        scratch=dict(
            config='configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py'),
        densecl=dict(
            config='configs/densecl/benchmarks/'
            'fcn_r18-d8_1xb8-250i_knee-us-128_densecl_cpu.py',
            pretrain='densecl', baseline='scratch'),
        # The strongest thing one can do without pretraining; from scratch
        # the GN+WS U-Net predicts only background for ~300 iterations.
        unet_scratch=dict(
            config='configs/unet/unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py',
            schedule=dict(min_iters=500)),
    ),
    baseline='scratch',
    best_supervised='unet_scratch',
    label_fractions=[5, 100],
    seeds=[0],
    # bf16 autocast + channels_last on CPU (fp16 AMP on a GPU).
    amp=True,
    # Every fraction gets the same passes over its own images (at least
    # min_iters updates); the best checkpoint on validation is tested.
    schedule=dict(
        epochs=5, min_iters=150, max_iters=None, num_vals=3,
        save_best='mDice'),
    finetune_cfg_options=dict(),
    report_metrics=['mIoU', 'mDice'],
    primary_metric='mDice',
    practical_threshold=1.0,
    clinical=True,
    tsne=dict(enabled=True, split='test', max_images=None, perplexity=30.0),
)
