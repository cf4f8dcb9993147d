# The recipe ablation (recipe_ablation_knee_us.py, the same rows) on the
# SECOND data regime (recipe_vs_stock_knee_us_b.py: 224 x 288 px, coarser
# speckle, -6 dB, fewer and smaller effusions): a choice measured on the
# default set must carry over to this one.
#
#   python tools/study.py configs/study/recipe_ablation_knee_us_b.py
#
# It shares recipe_vs_stock_knee_us_b.py's work dir, so the common rows run
# once.
_base_ = [
    './recipe_vs_stock_knee_us_b.py', './_base_/recipe_ablation_rows.py'
]

_rows = _base_.ablation_rows
study = dict(
    name='recipe_ablation_b',
    pretrain=_base_.ablation_pretrain,
    initialisations=dict(
        _rows,
        # mmseg's recipe at this regime's native scale, as its stock rows.
        densecl_stockft=dict(
            _rows.densecl_stockft,
            cfg_options=_base_.study.initialisations.stock_stock.cfg_options)),
    comparisons=_base_.ablation_comparisons,
)
