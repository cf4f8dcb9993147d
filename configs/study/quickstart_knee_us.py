# The quickstart: a small preset of a label-efficiency study.
#
#   python tools/study.py configs/study/quickstart_knee_us.py
#
# Pretrains DenseCL (CPU-scale ResNet-18), then fine-tunes FCN-R18-D8 from
# random init ("scratch") and from the DenseCL encoder at 5 % and 100 % of
# the training labels, tests every run on the test split, and writes
# work_dirs/quickstart/results.{md,csv,png}. About 10 minutes on 2 CPU cores.
#
# A full study is the same file with more of everything, e.g.
#   --fractions 1 5 10 25 50 100 --seeds 0 1 2
# or a copy that points `initialisations` at the GPU-scale configs. Re-running
# skips finished runs and resumes interrupted ones.
study = dict(
    name='quickstart',
    work_dir='work_dirs/quickstart',
    data_root='data/knee_us',
    # Generated when data_root/img_dir is absent (the embedded default).
    synthetic_if_absent=dict(
        num_train=240, num_val=60, num_test=60, size=256, seed=0),
    split_seed=0,
    pretrain=dict(
        densecl=dict(
            config='configs/densecl/'
            'densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py')),
    initialisations=dict(
        scratch=dict(
            config='configs/densecl/benchmarks/'
            'fcn_r18-d8_1xb4-150i_knee-us-128_scratch_cpu.py'),
        densecl=dict(
            config='configs/densecl/benchmarks/'
            'fcn_r18-d8_1xb4-150i_knee-us-128_densecl_cpu.py',
            pretrain='densecl'),
    ),
    baseline='scratch',
    label_fractions=[5, 100],
    seeds=[0],
    # bf16 autocast + channels_last on CPU (fp16 AMP on a GPU).
    amp=True,
    finetune_cfg_options=dict(),
    report_metrics=['mIoU', 'mDice'],
    primary_metric='mDice',
)
