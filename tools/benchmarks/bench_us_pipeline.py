"""Is the two-view ultrasound pipeline ever the bottleneck of DenseCL?

Measures, on this machine:

1. the synthetic knee-US generator (images/s at ``--size``, one core);
2. the two-view pretraining pipeline of
   ``configs/_base_/datasets/knee-us_2view-224.py`` (LoadUSImage + MultiView of
   the US-safe view pipeline at 224 px + PackInputs), single process;
3. one DenseCL ResNet-18 training step (DenseCLNeck in_channels=512,
   batch 8, 224 px, SGD), fp32 and bf16 autocast + channels_last;
4. optionally, the pretraining dataloader with 0/1/2 workers (``--loaders``).

    python tools/benchmarks/bench_us_pipeline.py [--data-root data/knee_us]
        [--iters 5] [--loaders]

If ``--data-root`` does not exist, a small synthetic set is generated in a
temporary folder.
"""
import argparse
import os.path as osp
import tempfile
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.registry import DefaultScope

import ussl_mm  # noqa: F401  (registers the transforms and datasets)
from ussl_mm.datasets.synthetic import generate_knee_us, synthesize_knee_us

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(REPO, 'configs/_base_/datasets/knee-us_2view-224.py')


def bench_generator(size, n=100):
    rng = np.random.default_rng(0)
    synthesize_knee_us(rng, size)
    t = time.perf_counter()
    for i in range(n):
        synthesize_knee_us(np.random.default_rng(i), size)
    return n / (time.perf_counter() - t)


def bench_pipeline(files, cfg, n=64):
    pipe = Compose(cfg.train_pipeline)
    pipe(dict(img_path=files[0]))
    t = time.perf_counter()
    for i in range(n):
        pipe(dict(img_path=files[i % len(files)]))
    return n / (time.perf_counter() - t)


def bench_loader(ds_cfg, workers, batches=8, batch_size=8):
    from mmpretrain.registry import DATASETS
    ds = DATASETS.build(ds_cfg)
    loader = torch.utils.data.DataLoader(
        ds, batch_size=batch_size, num_workers=workers, shuffle=True,
        collate_fn=default_collate, persistent_workers=workers > 0)
    it = iter(loader)
    next(it)
    t = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches * batch_size / (time.perf_counter() - t)


def build_densecl(cfg):
    from mmpretrain.registry import MODELS
    return MODELS.build(dict(
        type='DenseCL', queue_len=4096, feat_dim=128, momentum=0.001,
        loss_lambda=0.5,
        backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='BN'),
                      zero_init_residual=False),
        neck=dict(type='DenseCLNeck', in_channels=512, hid_channels=512,
                  out_channels=128, num_grid=None),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
                  temperature=0.2),
        data_preprocessor=cfg.data_preprocessor))


def bench_step(model, batch, iters, bf16=False):
    model.train()
    if bf16:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9)

    def step():
        data = model.data_preprocessor(batch, training=True)
        inputs = data['inputs']
        if bf16:
            inputs = [x.contiguous(memory_format=torch.channels_last)
                      for x in inputs]
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            losses = model(inputs, data['data_samples'], mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    t = time.perf_counter()
    for _ in range(iters):
        step()
    dt = (time.perf_counter() - t) / iters
    return 8 / dt, dt


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default='data/knee_us')
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--iters', type=int, default=5)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--loaders', action='store_true')
    p.add_argument('--no-bf16', action='store_true')
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    root = a.data_root
    if not osp.isdir(osp.join(root, 'img_dir', 'train')):
        root = tempfile.mkdtemp(prefix='knee_us_bench_')
        generate_knee_us(root, 64, 8, 8, size=a.size, seed=0)
        print(f'{a.data_root} absent: generated 64 images in {root}')
    gen = bench_generator(a.size)
    print(f'generator        : {gen:7.1f} img/s at {a.size}px (1 core)')
    cfg = Config.fromfile(CFG)
    files = sorted(
        osp.join(root, 'img_dir', 'train', f)
        for f in __import__('os').listdir(osp.join(root, 'img_dir', 'train')))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipe = bench_pipeline(files, cfg)
        print(f'two-view pipeline: {pipe:7.1f} img/s at 224px '
              '(1 process; each image = 2 views)')
        if a.loaders:
            ds_cfg = cfg.train_dataloader.dataset
            ds_cfg.data_root = root
            for w in (0, 1, 2):
                print(f'dataloader w={w}   : '
                      f'{bench_loader(ds_cfg, w):7.1f} img/s')
        model = build_densecl(cfg)
        batch = default_collate(
            [Compose(cfg.train_pipeline)(dict(img_path=files[i]))
             for i in range(8)])
        ips, dt = bench_step(model, batch, a.iters)
        print(f'DenseCL R18 fp32 : {ips:7.1f} img/s ({dt:.2f} s/step, '
              'batch 8, 224px)')
        if not a.no_bf16:
            ips16, dt16 = bench_step(build_densecl(cfg), batch, a.iters,
                                     bf16=True)
            print(f'DenseCL R18 bf16 : {ips16:7.1f} img/s ({dt16:.2f} s/step,'
                  ' autocast + channels_last)')
            ips = max(ips, ips16)
    print(f'pipeline / fastest model step: {pipe / ips:.1f}x '
          f"({'never the bottleneck' if pipe > ips else 'BOTTLENECK'})")


if __name__ == '__main__':
    main()
