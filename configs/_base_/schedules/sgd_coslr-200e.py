# Contrastive pretraining schedule (MoCo v2 / DenseCL), GPU scale:
# mmpretrain's imagenet_sgd_coslr_200e (SGD momentum 0.9, wd 1e-4, cosine,
# 200 epochs) with lr 0.03 per 256 images linearly scaled to the batch of
# 32. The CPU scale is sgd_coslr-200i.py.
_base_ = ['mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py']

optim_wrapper = dict(optimizer=dict(lr=0.03 * 32 / 256))

# No `default_hooks` here: default_runtime.py owns them (duplicate keys
# among bases are an error); leaf configs set the checkpoint interval.
# `--auto-scale-lr` style rescaling if the real batch differs from 32.
auto_scale_lr = dict(base_batch_size=32)
