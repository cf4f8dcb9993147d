# unlabelled_vs_supervised_knee_us.py on the SECOND data regime (the
# generator settings of recipe_vs_stock_knee_us_b.py at half its size):
# 112 x 144 px images, coarser speckle (a 1.6x longer pulse), 6 dB less
# gain, fewer (55 % of the images instead of 80 %) and smaller (0.75x)
# effusions. A setting tuned on the first regime must carry over here.
#
#   python tools/study.py configs/study/unlabelled_vs_supervised_knee_us_b.py
_base_ = ['./unlabelled_vs_supervised_knee_us.py']

study = dict(
    name='unlabelled_vs_supervised_b',
    work_dir='work_dirs/uvs_b',
    data_root='data/knee_us_s128b',
    synthetic_if_absent=dict(
        num_train=450, num_val=60, num_test=200, size=[112, 144], seed=1,
        speckle_scale=1.6, gain_db=-6.0, p_effusion=0.55,
        effusion_scale=0.75),
)
