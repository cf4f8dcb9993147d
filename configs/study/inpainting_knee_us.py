# A second label-efficiency preset: context-restoration pretraining of a
# U-Net (the inpainting recipe: K=32 Poisson-disc patch swaps, encoder-only
# transfer, Adam 1e-3 from the first iteration) vs the same U-Net from
# scratch, on the synthetic knee-ultrasound set, CPU scale.
#
#   python tools/study.py configs/study/inpainting_knee_us.py
#
# Same data, splits and report as the quickstart; the scratch row is the
# pretrained config with `pretrained_encoder=None`, so the two rows differ
# only in the initialisation. The scratch U-Net (CE + batch Dice) is also
# the best supervised row.
_base_ = ['./quickstart_knee_us.py']

_unet = ('configs/context_restoration/benchmarks/'
         'unet-tiny_1xb8-adam-500i_knee-us-128_context-restoration_cpu.py')
study = dict(
    name='inpainting',
    work_dir='work_dirs/inpainting',
    pretrain=dict(
        _delete_=True,
        context_restoration=dict(
            config='configs/context_restoration/'
            'context-restoration_unet-tiny_1xb8-adam-120i_knee-us-128_cpu.py')),
    initialisations=dict(
        _delete_=True,
        scratch=dict(
            config=_unet, cfg_options=dict(pretrained_encoder=None)),
        context_restoration=dict(
            config=_unet, pretrain='context_restoration')),
    baseline='scratch',
    best_supervised='scratch',
    comparisons=[],
    schedule=dict(min_iters=500),
)
