# The head-to-head rows of recipe_vs_stock_knee_us_b.py only (stock DenseCL ->
# stock FCN, ussl_mm scratch, ussl_mm DenseCL -> ussl_mm FCN), in the same
# work dir, to add seeds or label fractions to the claim without re-running
# every row, e.g. (how the 100 % rows of its 3-seed report were run):
#   python tools/study.py configs/study/recipe_vs_stock_knee_us_b_h2h.py \
#       --seeds 1 2 --fractions 100
_base_ = ['./recipe_vs_stock_knee_us_b.py']

_rows = _base_.study.initialisations
study = dict(
    initialisations=dict(
        _delete_=True,
        # Its own scratch row (scratch_stock) is not run here.
        stock_stock=dict(_rows.stock_stock, baseline=None),
        scratch=_rows.scratch,
        densecl=_rows.densecl),
    baseline='scratch',
    best_supervised='scratch',
    comparisons=[('densecl', 'stock_stock')])
