# The head-to-head rows of recipe_vs_stock_knee_us_b.py only (stock DenseCL ->
# stock FCN, ussl_mm scratch, ussl_mm DenseCL -> ussl_mm FCN), in the same
# work dir, to add seeds or label fractions to the claim without re-running
# every row, e.g. (how the 100 % rows of its 3-seed report were run):
#   python tools/study.py configs/study/recipe_vs_stock_knee_us_b_h2h.py \
#       --seeds 1 2 --fractions 100
_base_ = ['./recipe_vs_stock_knee_us_b.py']

_native = {
    'train_dataloader.dataset.pipeline.2.scale': (288, 224),
    'val_dataloader.dataset.pipeline.1.scale': (288, 224),
    'test_dataloader.dataset.pipeline.1.scale': (288, 224),
}
study = dict(
    initialisations=dict(
        _delete_=True,
        stock_stock=dict(
            config='configs/fcn/fcn_r18-d8_stock_1xb8-250i_knee-us-128_cpu.py',
            pretrain='densecl_stock', data_stats=False, cfg_options=_native),
        scratch=dict(
            config='configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py'),
        densecl=dict(
            config='configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py',
            pretrain='densecl')),
    baseline='scratch', best_supervised='scratch',
    comparisons=[('densecl', 'stock_stock')])
