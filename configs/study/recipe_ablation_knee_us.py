# The recipe ablation (issue 8) on the default synthetic set:
# recipe_vs_stock_knee_us.py's rows plus the crossed rows and one row per
# choice of ussl_mm's recipe (_base_/recipe_ablation_rows.py lists them),
# each changing ONE thing from the default `densecl` row, at equal compute,
# 3 seeds, 5 % and 100 % of the labels. The head-to-head section compares
# every row with `densecl`: a choice pays when removing it costs more than
# the practical threshold.
#
#   python tools/study.py configs/study/recipe_ablation_knee_us.py
#
# It shares recipe_vs_stock_knee_us.py's work dir, so the common rows run
# once; each study rewrites results.md with its own rows.
_base_ = [
    './recipe_vs_stock_knee_us.py', './_base_/recipe_ablation_rows.py'
]

study = dict(
    name='recipe_ablation',
    pretrain=_base_.ablation_pretrain,
    initialisations=_base_.ablation_rows,
    comparisons=_base_.ablation_comparisons,
)
