# Shared by pretraining (knee_us_mocov2.py) and fine-tuning (knee_us_seg.py):
# one data root, one crop, one normalisation -- the ussl_mm channel
# convention (gray replicated to 3 channels by LoadUSImage, BGR->RGB in the
# preprocessors, the same gray mean/std on every channel).
data_root = 'data/knee_us/'
crop_size = (256, 256)
# Gray-level mean/std of the synthetic default train set (240 images, 256 px,
# seed 0): 114.18 / 79.95. Recompute for your own data.
mean = [114.18, 114.18, 114.18]
std = [79.95, 79.95, 79.95]
