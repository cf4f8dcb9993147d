# The fine-tuning half of recipe_ablation_knee_us.py on the SECOND data
# regime (recipe_vs_stock_knee_us_b.py: 224 x 288 px, coarser speckle, -6 dB,
# fewer and smaller effusions), to check that the choices measured on the
# default set carry over. One row per choice that makes ussl_mm's FCN recipe
# differ from mmseg's stock one, each changing ONE thing from `densecl`:
#   ft_resized        crops resized ~2x down, test resized (the old recipe)
#   ft_aug_flip       flip only, no ultrasound intensity augmentation
#   ft_ce             CE only, no batch Dice
#   ft_norm_imagenet  ImageNet mean/std instead of the data's own
# and the pretraining choices:
#   pt_momentum_001   key momentum 0.01 (ussl_mm's former CPU value) instead
#                     of mmpretrain's 0.001, the default
#   pt_views_in1k     MoCo v2 ImageNet views instead of the ultrasound ones
#   stock_oursft      mmpretrain's stock DenseCL -> ussl_mm's FCN recipe
# It shares recipe_vs_stock_knee_us_b.py's work dir, so the common rows run
# once.
#
#   python tools/study.py configs/study/recipe_ablation_knee_us_b.py
_base_ = ['./recipe_vs_stock_knee_us_b.py']

# Restated from recipe_ablation_knee_us.py: mmengine refuses two bases that
# both define `study`.
_fcn = 'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py'
_abl = 'configs/fcn/ablations/fcn_r18-d8_1xb8-250i_knee-us-128-'
_densecl = 'configs/densecl/densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py'
_views = ('configs/densecl/ablations/'
          'densecl_r18_1xb16-coslr-200i_knee-us-128-')
study = dict(
    name='recipe_ablation_b',
    pretrain=dict(
        pt_momentum_001=dict(
            config=_densecl, cfg_options={'model.momentum': 0.01}),
        pt_views_in1k=dict(config=_views + 'in1k-views_cpu.py')),
    initialisations=dict(
        ft_resized=dict(config=_abl + 'resized_cpu.py', pretrain='densecl'),
        ft_aug_flip=dict(config=_abl + 'aug-flip_cpu.py', pretrain='densecl'),
        ft_ce=dict(config=_abl + 'ce_cpu.py', pretrain='densecl'),
        ft_norm_imagenet=dict(
            config=_fcn, pretrain='densecl', data_stats=False,
            cfg_options={
                'data_preprocessor.mean': [123.675, 116.28, 103.53],
                'data_preprocessor.std': [58.395, 57.12, 57.375]
            }),
        pt_momentum_001=dict(config=_fcn, pretrain='pt_momentum_001'),
        pt_views_in1k=dict(config=_fcn, pretrain='pt_views_in1k'),
        stock_oursft=dict(
            config=_fcn, pretrain='densecl_stock', baseline='scratch'),
    ),
    comparisons=[('densecl', 'stock_stock'), ('scratch', 'scratch_stock'),
                 ('ft_resized', 'densecl'), ('ft_aug_flip', 'densecl'),
                 ('ft_ce', 'densecl'), ('ft_norm_imagenet', 'densecl'),
                 ('pt_momentum_001', 'densecl'), ('pt_views_in1k', 'densecl'),
                 ('stock_oursft', 'stock_stock')],
)
