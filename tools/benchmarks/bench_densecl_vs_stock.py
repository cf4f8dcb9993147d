# Copyright (c) ussl_mm contributors. All rights reserved.
"""Throughput of ussl_mm's DenseCL / FCN CPU siblings against the STOCK
mmpretrain DenseCL / mmseg FCN at the same model, input and batch.

Runs ``tools/train.py`` for ``--iters`` iterations of each variant,
**alternating** them for ``--rounds`` rounds in this one process (so that
the machine's state, whatever else runs on it, is shared), reads
mmengine's logged ``time`` / ``data_time`` (first logging window dropped)
and prints, per variant, the median over rounds and the speed relative to
the stock run::

    python tools/benchmarks/bench_densecl_vs_stock.py --iters 40 --rounds 2

It also measures this machine's bf16 matmul rate (a 2048 x 2048 matmul
with the same threads) and the FLOPs of one DenseCL iteration
(``torch.utils.flop_counter``: query forward + backward, key forward, both
views), and prints the fraction of the matmul rate the fastest DenseCL
variant reaches. Compare speeds as ratios measured in one run, never
across machines or sessions.
"""
import argparse
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from bench_cpu_siblings import _mean_times  # noqa: E402  (same log reader)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_DENSECL = 'configs/densecl/densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py'
_DENSECL_STOCK = ('configs/densecl/'
                  'densecl_r18_stock_1xb16-coslr-200i_knee-us-128_cpu.py')
_FCN = 'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py'
_FCN_STOCK = 'configs/fcn/fcn_r18-d8_stock_1xb8-250i_knee-us-128_cpu.py'
# name -> (group, config, --amp, extra cfg-options)
VARIANTS = {
    'densecl_stock': ('densecl', _DENSECL_STOCK, False, {}),
    'densecl_fp32': ('densecl', _DENSECL, False, {}),
    'densecl_amp': ('densecl', _DENSECL, True, {}),
    'fcn_stock': ('fcn', _FCN_STOCK, False, {}),
    'fcn_amp': ('fcn', _FCN, True, {}),
}
_REFERENCE = {'densecl': 'densecl_stock', 'fcn': 'fcn_stock'}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=40)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--data-root', default='data/knee_us')
    parser.add_argument(
        '--only', nargs='+', choices=sorted(VARIANTS),
        help='variants to run (default: all)')
    parser.add_argument('--work-dir', help='default: a temporary folder')
    return parser.parse_args()


def matmul_rate(n: int = 2048, repeats: int = 10) -> float:
    """bf16 matmul rate of this process's threads, in FLOP/s."""
    a = torch.randn(n, n, dtype=torch.bfloat16)
    b = torch.randn(n, n, dtype=torch.bfloat16)
    for _ in range(2):
        a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * n**3 / statistics.median(times)


def densecl_flops(config: str) -> float:
    """FLOPs of one DenseCL training iteration (loss forward + backward)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from torch.utils.flop_counter import FlopCounterMode

    import ussl_mm  # noqa: F401  (registers the transforms and wrappers)
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    batch = cfg.train_dataloader.batch_size
    views = [torch.randn(batch, 3, 128, 128) for _ in range(2)]
    with FlopCounterMode(display=False) as counter:
        losses = model.loss(views, [None] * batch)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
    return float(counter.get_total_flops())


def run_variant(name, data_root, work_root, iters, round_idx, logs):
    _, config, amp, extra = VARIANTS[name]
    wd = osp.join(work_root, f'{name}_r{round_idx}')
    interval = 10
    opts = {
        'train_cfg.max_iters': iters,
        'default_hooks.logger.interval': interval,
        'default_hooks.checkpoint.interval': 10 * iters,
        **extra,
    }
    if name.startswith('fcn'):
        opts['train_cfg.val_interval'] = 10 * iters
    cmd = [sys.executable, 'tools/train.py', config, '--work-dir', wd,
           '--data-root', data_root]
    if amp:
        cmd.append('--amp')
    cmd += ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]
    log = osp.join(logs, f'{name}_r{round_idx}.log')
    with open(log, 'w') as f:
        ret = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if ret.returncode:
        raise RuntimeError(f'{" ".join(cmd)} failed; log: {log}')
    return _mean_times(wd, skip_first=interval)


def main():
    args = parse_args()
    os.chdir(ROOT)
    tmp = tempfile.mkdtemp(prefix='ussl_bench_stock_')
    data_root = args.data_root
    if not osp.isdir(osp.join(data_root, 'img_dir')):
        data_root = osp.join(tmp, 'knee_us')
        subprocess.run([
            sys.executable,
            'tools/dataset_converters/generate_synthetic_knee_us.py', '--out',
            data_root, '--size', '128'
        ], check=True, stdout=subprocess.DEVNULL)
    work_root = args.work_dir or osp.join(tmp, 'runs')
    names = args.only or list(VARIANTS)
    times = {n: [] for n in names}
    data_times = {n: [] for n in names}
    for r in range(args.rounds):
        for name in names:
            t, d = run_variant(name, data_root, work_root, args.iters, r, tmp)
            times[name].append(t)
            data_times[name].append(d)
            print(f'round {r}: {name}: {t:.3f} s/iter '
                  f'(data_time {d:.4f})', flush=True)
    rate = matmul_rate()
    flops = densecl_flops(_DENSECL)
    print(f'\nbf16 matmul rate (2048^2, {torch.get_num_threads()} threads): '
          f'{rate / 1e9:.0f} GFLOP/s; one DenseCL iteration: '
          f'{flops / 1e9:.0f} GFLOP\n')
    print('| variant | config | time / data_time (s/iter, median of '
          f'{args.rounds}) | vs stock | % of bf16 matmul rate |')
    print('|---|---|---|---|---|')
    for name in names:
        group, config, amp, _ = VARIANTS[name]
        t = statistics.median(times[name])
        d = statistics.median(data_times[name])
        ref = _REFERENCE[group]
        rel = (f'{statistics.median(times[ref]) / t:.2f}x'
               if ref in times else 'n/a')
        frac = (f'{100 * flops / t / rate:.0f} %'
                if group == 'densecl' else '')
        print(f'| {name} | `{osp.basename(config)}`{" --amp" if amp else ""}'
              f' | {t:.3f} / {d:.4f} | {rel} | {frac} |')


if __name__ == '__main__':
    main()
