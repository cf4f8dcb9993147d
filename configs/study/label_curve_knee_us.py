# The headline study: every row a user should weigh, on the quickstart's data
# and scale, at 1, 5, 10, 25, 50 and 100 % of the labels, 3 seeds each.
#
#   python tools/study.py configs/study/label_curve_knee_us.py
#
# Rows (the quickstart's four, plus the full-resolution decoder and the
# inpainting U-Net):
#   scratch              FCN-R18-D8 from scratch (ussl_mm's recipe)
#   densecl              ussl_mm's DenseCL -> the same FCN
#   densecl_stock        mmpretrain's stock DenseCL -> the same FCN
#   unethead_scratch     ResNet-18 + UNetHead (skips to full resolution)
#   densecl_unethead     ussl_mm's DenseCL -> the same ResNet-18 + UNetHead
#   unet_scratch         tiny U-Net from scratch: the best supervised row
#   context_restoration  context restoration -> the same tiny U-Net
# The report plots the test mIoU against the label fraction (log x, mean ± sd
# over seeds, one line per row), gives the smallest fraction at which each
# pretrained row matches scratch trained on 100 % (and the best supervised
# row), and adds the seed-level test and bootstrap CI to every comparison.
_base_ = ['./quickstart_knee_us.py']

_crop64 = {
    # RandomCrop, after LoadUSImage, LoadUSAnnotations, RandomRescale
    'train_dataloader.dataset.pipeline.3.crop_size': (64, 64),
    'data_preprocessor.size': (64, 64),
}
_unethead = 'configs/unethead/unethead_r18_1xb8-250i_knee-us-128_cpu.py'
_unet_cr = ('configs/context_restoration/benchmarks/'
            'unet-tiny_1xb8-adam-500i_knee-us-128_context-restoration_cpu.py')
study = dict(
    name='label_curve',
    work_dir='work_dirs/label_curve',
    pretrain=dict(
        densecl_stock=dict(
            config='configs/densecl/'
            'densecl_r18_stock_1xb16-coslr-200i_knee-us-128_cpu.py',
            data_stats=False,
            cfg_options={
                # RandomResizedCrop of mmpretrain's MoCo v2 views
                'train_dataloader.dataset.pipeline.1.transforms.0.0.scale': 64
            }),
        context_restoration=dict(
            config='configs/context_restoration/'
            'context-restoration_unet-tiny_1xb8-adam-120i_knee-us-128_cpu.py')),
    # The quickstart's rows except its semi-supervised one, plus mmpretrain's
    # stock DenseCL, the full-resolution decoder and the inpainting U-Net.
    initialisations=dict(
        _delete_=True,
        scratch=_base_.study.initialisations.scratch,
        densecl=_base_.study.initialisations.densecl,
        densecl_stock=dict(
            config=_base_.study.initialisations.scratch.config,
            pretrain='densecl_stock', baseline='scratch',
            cfg_options=_crop64),
        unet_scratch=_base_.study.initialisations.unet_scratch,
        # Its randomly initialised decoder needs the U-Net rows' iterations:
        # from scratch at 5 %, val mIoU 48 (background only) at 150
        # iterations, 67 at 125, 83 at 375 of 500.
        unethead_scratch=dict(
            config=_unethead, cfg_options=_crop64,
            schedule=dict(min_iters=500)),
        densecl_unethead=dict(
            config=_unethead, pretrain='densecl',
            baseline='unethead_scratch', cfg_options=_crop64,
            schedule=dict(min_iters=500)),
        context_restoration=dict(
            config=_unet_cr, pretrain='context_restoration',
            baseline='unet_scratch', cfg_options=_crop64,
            # The U-Net rows train the same number of iterations.
            schedule=dict(min_iters=500)),
    ),
    comparisons=[('densecl', 'densecl_stock'),
                 ('densecl_unethead', 'densecl')],
    label_fractions=[1, 5, 10, 25, 50, 100],
    seeds=[0, 1, 2],
)
