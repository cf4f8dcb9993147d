# The rows of the recipe ablation (issue 8), shared by
# recipe_ablation_knee_us.py (regime a) and recipe_ablation_knee_us_b.py
# (regime b) so that both regimes run the same rows. Each row changes ONE
# thing from the default `densecl` row (ussl_mm's DenseCL -> ussl_mm's FCN
# recipe), at equal compute.
#
# Crossed:      densecl_stockft (ussl_mm's DenseCL -> mmseg's FCN recipe),
#   stock_oursft (mmpretrain's DenseCL -> ussl_mm's FCN recipe).
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
# Variables only, no `study`: a preset inherits this file beside its data
# preset (mmengine refuses two bases that share a name, hence also the
# `_abl_` prefixes).
_abl_fcn = 'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py'
_abl_ft = 'configs/fcn/ablations/fcn_r18-d8_1xb8-250i_knee-us-128-'
_abl_densecl = ('configs/densecl/'
                'densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py')
_abl_stock_ft = 'configs/fcn/fcn_r18-d8_stock_1xb8-250i_knee-us-128_cpu.py'
_abl_views = ('configs/densecl/ablations/'
              'densecl_r18_1xb16-coslr-200i_knee-us-128-')
ablation_pretrain = dict(
    pt_lr_unscaled=dict(
        config=_abl_densecl,
        cfg_options={'optim_wrapper.optimizer.lr': 0.03}),
    pt_momentum_001=dict(
        config=_abl_densecl, cfg_options={'model.momentum': 0.01}),
    pt_queue_1024=dict(
        config=_abl_densecl, cfg_options={'model.queue_len': 1024}),
    pt_views_in1k=dict(config=_abl_views + 'in1k-views_cpu.py'),
    pt_views_both=dict(config=_abl_views + 'both-views_cpu.py'),
)
ablation_rows = dict(
    densecl_stockft=dict(
        config=_abl_stock_ft, pretrain='densecl', data_stats=False,
        baseline='scratch_stock'),
    stock_oursft=dict(
        config=_abl_fcn, pretrain='densecl_stock', baseline='scratch'),
    ft_resized=dict(config=_abl_ft + 'resized_cpu.py', pretrain='densecl'),
    ft_aug_flip=dict(config=_abl_ft + 'aug-flip_cpu.py', pretrain='densecl'),
    ft_aug_none=dict(config=_abl_ft + 'aug-none_cpu.py', pretrain='densecl'),
    ft_ce=dict(config=_abl_ft + 'ce_cpu.py', pretrain='densecl'),
    ft_norm_imagenet=dict(
        config=_abl_fcn, pretrain='densecl', data_stats=False,
        cfg_options={
            'data_preprocessor.mean': [123.675, 116.28, 103.53],
            'data_preprocessor.std': [58.395, 57.12, 57.375]
        }),
    pt_views_in1k=dict(config=_abl_fcn, pretrain='pt_views_in1k'),
    pt_views_both=dict(config=_abl_fcn, pretrain='pt_views_both'),
    pt_momentum_001=dict(config=_abl_fcn, pretrain='pt_momentum_001'),
    pt_lr_unscaled=dict(config=_abl_fcn, pretrain='pt_lr_unscaled'),
    pt_queue_1024=dict(config=_abl_fcn, pretrain='pt_queue_1024'),
    # Last: fp32 is the slowest row (about 2x the bf16 step).
    ft_fp32=dict(config=_abl_fcn, pretrain='densecl', amp=False),
)
ablation_comparisons = [
    ('densecl', 'stock_stock'), ('scratch', 'scratch_stock'),
    ('densecl_stockft', 'stock_stock'), ('stock_oursft', 'stock_stock'),
    ('ft_resized', 'densecl'), ('ft_aug_none', 'densecl'),
    ('ft_aug_flip', 'densecl'), ('ft_ce', 'densecl'),
    ('ft_norm_imagenet', 'densecl'), ('ft_fp32', 'densecl'),
    ('pt_lr_unscaled', 'densecl'), ('pt_momentum_001', 'densecl'),
    ('pt_queue_1024', 'densecl'), ('pt_views_in1k', 'densecl'),
    ('pt_views_both', 'densecl')
]
