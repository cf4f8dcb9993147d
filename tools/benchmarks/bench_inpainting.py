# Copyright (c) ussl_mm contributors. All rights reserved.
"""Cost of the inpainting corruption vs one U-Net training step at 256 px.

The corruption transforms run per sample in the data pipeline; with
precomputed layouts (the default, ``num_precomputed=100``) a sample costs a
layout pick, a rotation and a few slice copies. This script times

1. ``ContextRestorationCorruption`` and ``ContextPredictionCorruption`` on
   ``B`` uint8 256 x 256 x 3 images (the bank is built before timing and
   its one-off cost is reported separately), and
2. one training step (forward, backward, Adam) of the U-Net of
   ``configs/_base_/models/context-restoration_unet-s5-d16.py`` (5 stages,
   64 base channels, GN + WS) on a batch of ``B`` such images,

and prints both with their ratio (target: < 5 %).

Example::

    python tools/benchmarks/bench_inpainting.py --batch-size 2
"""
import argparse
import os.path as osp
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import DefaultScope
from mmpretrain.datasets.transforms import PackInputs

import ussl_mm  # noqa: F401
from ussl_mm.datasets.transforms import (ContextPredictionCorruption,
                                         ContextRestorationCorruption)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def time_corruption(cls, imgs, repeats, **kw):
    t = cls(**kw)
    t0 = time.perf_counter()
    t(dict(img=imgs[0].copy()))  # builds the bank of layouts
    bank = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(repeats):
        for img in imgs:
            t(dict(img=img))
    return (time.perf_counter() - t0) / repeats, bank


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--batch-size', type=int, default=2)
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--patch-size', type=int, default=32)
    p.add_argument('--sampling', default='poisson')
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--repeats', type=int, default=50)
    args = p.parse_args()

    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8)
            for _ in range(args.batch_size)]
    kw = dict(patch_size=args.patch_size, sampling=args.sampling,
              num_precomputed=100, seed=0)
    cr, cr_bank = time_corruption(ContextRestorationCorruption, imgs,
                                  args.repeats, **kw)
    cp, cp_bank = time_corruption(ContextPredictionCorruption, imgs,
                                  args.repeats, fill=[114.0] * 3, **kw)

    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/models/'
                 'context-restoration_unet-s5-d16.py'))
    cfg.model.data_preprocessor = dict(
        type='SelfSupDataPreprocessor', mean=[114.0] * 3, std=[80.0] * 3,
        to_rgb=True)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    pack = PackInputs(algorithm_keys=['gt_img', 'corruption_mask'])
    t = ContextRestorationCorruption(**kw)
    batch = default_collate([pack(t(dict(img=i))) for i in imgs])
    times = []
    for _ in range(args.steps + 1):
        t0 = time.perf_counter()
        data = model.data_preprocessor(batch, True)
        loss = model(**data, mode='loss')['loss']
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    step = float(np.median(times[1:]))  # first step warms up

    print(f'torch threads: {torch.get_num_threads()}, batch '
          f'{args.batch_size} x 3 x {args.size} x {args.size}, '
          f'K={args.patch_size}, {args.sampling}')
    print(f'U-Net (s5, 64 ch, GN+WS) training step: {step * 1e3:.1f} ms')
    for name, c, bank in (('restoration', cr, cr_bank),
                          ('prediction', cp, cp_bank)):
        print(f'context {name} corruption of the batch: {c * 1e3:.2f} ms '
              f'({100 * c / step:.3f} % of a step); one-off bank of 100 '
              f'layouts: {bank:.2f} s')


if __name__ == '__main__':
    main()
