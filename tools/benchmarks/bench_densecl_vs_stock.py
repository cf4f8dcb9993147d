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

**The bound.** ussl_mm's ``--amp`` step does the same convolutions as the
stock fp32 step, in bf16. When both are compute-bound, the speed-up cannot
exceed what bf16 kernels gain over fp32 kernels on this CPU. The script
therefore also times a matmul and two ResNet-shaped convolutions in fp32
and in bf16 (channels_last) and profiles one ``--amp`` DenseCL step
(``torch.profiler``) for the share of its time spent in convolutions. It
prints both, so a target ratio can be checked against what the hardware
allows.
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
    # Levers on top of --amp, each measured against densecl_amp:
    # the fused SGD kernel (one pass over params, grads and momenta),
    'densecl_amp_fused_sgd': ('densecl', _DENSECL, True,
                              {'optim_wrapper.optimizer.fused': True}),
    # data loading overlapped with compute by one persistent worker,
    'densecl_amp_1worker': ('densecl', _DENSECL, True, {
        'train_dataloader.num_workers': 1,
        'train_dataloader.persistent_workers': True}),
    # mmengine's torch.compile of train_step (inductor, CPU); its compile
    # time shows in the wall time column.
    'densecl_amp_compile': ('densecl', _DENSECL, True, {'compile': True}),
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


def kernel_rates(repeats: int = 20) -> dict:
    """fp32 and bf16 rates (FLOP/s) of a 2048^2 matmul and of two 3x3
    convolutions shaped like ResNet-18's at 128 px (64 ch at 32 px, 256 ch
    at 8 px, batch 16, channels_last), with this process's threads."""
    import torch.nn.functional as F
    rates = {}
    for dtype in (torch.float32, torch.bfloat16):
        cl = torch.channels_last
        a = torch.randn(2048, 2048, dtype=dtype)
        cases = {'matmul 2048^2': (lambda a=a: a @ a, 2 * 2048**3)}
        for c, s in ((64, 32), (256, 8)):
            x = torch.randn(16, c, s, s).to(dtype, memory_format=cl)
            w = torch.randn(c, c, 3, 3).to(dtype, memory_format=cl)
            cases[f'conv3x3 {c}ch {s}px'] = (
                lambda x=x, w=w: F.conv2d(x, w, padding=1),
                2 * 16 * c * c * 9 * s * s)
        for name, (fn, flops) in cases.items():
            for _ in range(3):
                fn()
            t = time.perf_counter()
            for _ in range(repeats):
                fn()
            rates[(name, dtype)] = flops * repeats / (time.perf_counter() - t)
    return rates


def conv_share(config: str, steps: int = 3) -> float:
    """Share of one bf16 + channels_last DenseCL step's CPU time spent in
    convolutions (forward and backward), by ``torch.profiler``."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from torch.profiler import ProfilerActivity, profile

    import ussl_mm  # noqa: F401
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model).to(memory_format=torch.channels_last)
    optim = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batch = cfg.train_dataloader.batch_size
    views = [torch.randn(batch, 3, 128, 128) for _ in range(2)]

    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16):
            losses = model.loss(views, [None] * batch)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        optim.step()
        optim.zero_grad()

    for _ in range(2):
        step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    conv = sum(e.self_cpu_time_total for e in events
               if e.key in ('aten::mkldnn_convolution',
                            'aten::convolution_backward'))
    return conv / total


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
    start = time.perf_counter()
    with open(log, 'w') as f:
        ret = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - start
    if ret.returncode:
        raise RuntimeError(f'{" ".join(cmd)} failed; log: {log}')
    return (*_mean_times(wd, skip_first=interval), wall)


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
    walls = {n: [] for n in names}
    for r in range(args.rounds):
        for name in names:
            t, d, w = run_variant(name, data_root, work_root, args.iters, r,
                                  tmp)
            times[name].append(t)
            data_times[name].append(d)
            walls[name].append(w)
            print(f'round {r}: {name}: {t:.3f} s/iter '
                  f'(data_time {d:.4f}), {w:.0f} s wall', flush=True)
    rates = kernel_rates()
    rate = rates[('matmul 2048^2', torch.bfloat16)]
    flops = densecl_flops(_DENSECL)
    print(f'\nbf16 matmul rate (2048^2, {torch.get_num_threads()} threads): '
          f'{rate / 1e9:.0f} GFLOP/s; one DenseCL iteration: '
          f'{flops / 1e9:.0f} GFLOP\n')
    share = conv_share(_DENSECL)
    print('| kernel | fp32 GFLOP/s | bf16 GFLOP/s | bf16 / fp32 |')
    print('|---|---|---|---|')
    ratios = []
    for name in dict.fromkeys(k for k, _ in rates):
        f32, b16 = rates[(name, torch.float32)], rates[(name, torch.bfloat16)]
        ratios.append(b16 / f32)
        print(f'| {name} | {f32 / 1e9:.0f} | {b16 / 1e9:.0f} | '
              f'{b16 / f32:.2f}x |')
    print(f'\nConvolutions take {100 * share:.0f} % of one --amp DenseCL '
          'step (torch.profiler). At equal work, bf16 against fp32 cannot '
          f'go much beyond the kernels\' {min(ratios):.2f}-'
          f'{max(ratios):.2f}x.\n')
    print('| variant | config | time / data_time (s/iter, median of '
          f'{args.rounds}) | vs stock | % of bf16 matmul rate | wall s '
          '(whole run) |')
    print('|---|---|---|---|---|---|')
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
              f' | {t:.3f} / {d:.4f} | {rel} | {frac} | '
              f'{statistics.median(walls[name]):.0f} |')


if __name__ == '__main__':
    main()
