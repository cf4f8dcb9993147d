# Unlabelled-data scaling: ussl_mm's DenseCL pretrained on nested, seeded
# subsets of the unlabelled pool (12.5, 25, 50 and 100 % of the training
# images; the pretraining schedule is the same number of iterations for every
# size), each fine-tuned at 5 % and 100 % of the labels, next to the scratch
# FCN and the best supervised row (the stock DenseCL row of the quickstart is
# left out: the question here is how ours scales). Per label fraction the
# report fits y = a * x^k + c (scipy curve_fit) to test mIoU vs pool size
# and prints a, k, c and the residual standard error (or why the fit is
# ill-posed), with the plot.
#
#   python tools/study.py configs/study/unlabelled_scaling_knee_us.py
#
# Sizes above 100 % take their extra images from
# pretrain_data.extra_roots=['path/to/more/unlabelled/images'].
_base_ = ['./quickstart_knee_us.py']

study = dict(
    name='unlabelled_scaling',
    work_dir='work_dirs/unlabelled_scaling',
    pretrain_data=dict(sizes=[12.5, 25, 50, 100], seed=0, extra_roots=[]),
    initialisations=dict(
        _delete_=True,
        **{
            k: _base_.study.initialisations[k]
            for k in ('scratch', 'densecl', 'unet_scratch')
        }),
    comparisons=[],
)
