# The recipe ablation (issue 8): recipe_vs_stock_knee_us.py's rows, the
# crossed rows (densecl_stockft: ussl_mm's DenseCL -> mmseg's FCN recipe;
# stock_oursft: mmpretrain's DenseCL -> ussl_mm's FCN recipe), and one
# row per choice of ussl_mm's recipe, each changing ONE thing from the
# default `densecl` row (ussl_mm's DenseCL -> ussl_mm's FCN recipe), at equal
# compute, 3 seeds. The head-to-head section compares every row with
# `densecl`: a choice pays when removing it costs more than the practical
# threshold.
#
#   python tools/study.py configs/study/recipe_ablation_knee_us.py
#
# Fine-tuning:  ft_resized (crops resized ~2x down, test resized: the old
#   recipe), ft_aug_none, ft_aug_flip (vs flip + ultrasound intensity),
#   ft_ce (no batch Dice), ft_norm_imagenet (ImageNet mean/std instead of
#   the data's), ft_fp32 (no bf16 autocast).
# Pretraining:  pt_lr_unscaled (lr 0.03 instead of 0.03 x 16 / 256),
#   pt_momentum_001 (key momentum 0.01, ussl_mm's former CPU value, instead
#   of mmpretrain's 0.001, the default since this ablation measured it),
#   pt_queue_1024 (instead of 256), pt_views_in1k (MoCo v2 ImageNet views),
#   pt_views_both (ImageNet + ultrasound views).
#
# It shares recipe_vs_stock_knee_us.py's work dir, so the common rows run
# once; each study rewrites results.md with its own rows.
_base_ = ['./recipe_vs_stock_knee_us.py']

_fcn = 'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py'
_abl = 'configs/fcn/ablations/fcn_r18-d8_1xb8-250i_knee-us-128-'
_densecl = 'configs/densecl/densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py'
_stock_ft = 'configs/fcn/fcn_r18-d8_stock_1xb8-250i_knee-us-128_cpu.py'
_views = ('configs/densecl/ablations/'
          'densecl_r18_1xb16-coslr-200i_knee-us-128-')
study = dict(
    name='recipe_ablation',
    pretrain=dict(
        pt_lr_unscaled=dict(
            config=_densecl, cfg_options={'optim_wrapper.optimizer.lr': 0.03}),
        pt_momentum_001=dict(
            config=_densecl, cfg_options={'model.momentum': 0.01}),
        pt_queue_1024=dict(
            config=_densecl, cfg_options={'model.queue_len': 1024}),
        pt_views_in1k=dict(config=_views + 'in1k-views_cpu.py'),
        pt_views_both=dict(config=_views + 'both-views_cpu.py'),
    ),
    initialisations=dict(
        densecl_stockft=dict(
            config=_stock_ft, pretrain='densecl', data_stats=False,
            baseline='scratch_stock'),
        stock_oursft=dict(
            config=_fcn, pretrain='densecl_stock', baseline='scratch'),
        ft_resized=dict(config=_abl + 'resized_cpu.py', pretrain='densecl'),
        ft_aug_flip=dict(config=_abl + 'aug-flip_cpu.py', pretrain='densecl'),
        ft_aug_none=dict(config=_abl + 'aug-none_cpu.py', pretrain='densecl'),
        ft_ce=dict(config=_abl + 'ce_cpu.py', pretrain='densecl'),
        ft_norm_imagenet=dict(
            config=_fcn, pretrain='densecl', data_stats=False,
            cfg_options={
                'data_preprocessor.mean': [123.675, 116.28, 103.53],
                'data_preprocessor.std': [58.395, 57.12, 57.375]
            }),
        pt_views_in1k=dict(config=_fcn, pretrain='pt_views_in1k'),
        pt_views_both=dict(config=_fcn, pretrain='pt_views_both'),
        pt_momentum_001=dict(config=_fcn, pretrain='pt_momentum_001'),
        pt_lr_unscaled=dict(config=_fcn, pretrain='pt_lr_unscaled'),
        pt_queue_1024=dict(config=_fcn, pretrain='pt_queue_1024'),
        # Last: fp32 is the slowest row (about 2x the bf16 step).
        ft_fp32=dict(config=_fcn, pretrain='densecl', amp=False),
    ),
    comparisons=[
        ('densecl', 'stock_stock'), ('scratch', 'scratch_stock'),
        ('densecl_stockft', 'stock_stock'), ('stock_oursft', 'stock_stock'),
        ('ft_resized', 'densecl'), ('ft_aug_none', 'densecl'),
        ('ft_aug_flip', 'densecl'), ('ft_ce', 'densecl'),
        ('ft_norm_imagenet', 'densecl'), ('ft_fp32', 'densecl'),
        ('pt_lr_unscaled', 'densecl'), ('pt_momentum_001', 'densecl'),
        ('pt_queue_1024', 'densecl'), ('pt_views_in1k', 'densecl'),
        ('pt_views_both', 'densecl')
    ],
)
