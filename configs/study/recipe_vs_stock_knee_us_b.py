# recipe_vs_stock_knee_us.py on a SECOND, differently generated data regime:
# another image size (224 x 288 instead of 256 x 256), coarser speckle (a
# 1.6x longer pulse), 6 dB less gain, fewer effusions (55 % of the images
# instead of 80 %) that are smaller (0.75x). A recipe choice tuned on the
# default set must carry over to this one.
#
#   python tools/study.py configs/study/recipe_vs_stock_knee_us_b.py
_base_ = ['./recipe_vs_stock_knee_us.py']

# The stock recipe rescales around a fixed mmseg `img_scale` (w, h): the
# native size of these images (ussl_mm's RandomRescale needs no size).
_native = {
    'train_dataloader.dataset.pipeline.2.scale': (288, 224),  # RandomResize
    'val_dataloader.dataset.pipeline.1.scale': (288, 224),  # Resize
    'test_dataloader.dataset.pipeline.1.scale': (288, 224),
}
study = dict(
    name='recipe_vs_stock_b',
    work_dir='work_dirs/recipe_vs_stock_b',
    data_root='data/knee_us_b',
    synthetic_if_absent=dict(
        num_train=450, num_val=60, num_test=200, size=[224, 288], seed=1,
        speckle_scale=1.6, gain_db=-6.0, p_effusion=0.55,
        effusion_scale=0.75),
    initialisations=dict(
        scratch_stock=dict(cfg_options=_native),
        stock_stock=dict(cfg_options=_native)),
)
