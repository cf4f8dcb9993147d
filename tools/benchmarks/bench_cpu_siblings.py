# Copyright (c) ussl_mm contributors. All rights reserved.
"""mmengine's logged ``time`` / ``data_time`` of the CPU-scale siblings, with
and without ``--amp``.

Runs ``tools/train.py`` for ``--iters`` iterations of each CPU sibling below
(fine-tuning configs from scratch, so no pretraining checkpoint is needed),
once in fp32 and once with ``--amp`` (bf16 autocast + channels_last on CPU),
reads the ``time`` / ``data_time`` that mmengine logged to
``vis_data/scalars.json``, drops the first logging window (start-up) and
prints the means as a Markdown table::

    python tools/benchmarks/bench_cpu_siblings.py --iters 40 \\
        [--data-root data/knee_us] [--only densecl fcn]

The knee-US set is generated into a temporary folder when ``--data-root``
does not exist. Figures depend on the machine and on what else runs on it;
the README quotes the ones measured on the development machine.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
from glob import glob

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

SIBLINGS = {
    'densecl': ('DenseCL R18, 128 px, batch 16 (pretraining)',
                'configs/densecl/densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py',
                {}),
    'fcn': ('FCN-R18-D8, 128 px, batch 4 (fine-tuning)',
            'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py', {}),
    'context_restoration': (
        'context restoration, U-Net tiny, 128 px, batch 8 (pretraining)',
        'configs/context_restoration/'
        'context-restoration_unet-tiny_1xb8-adam-120i_knee-us-128_cpu.py',
        {}),
    'unet': ('U-Net tiny, 128 px, batch 8 (fine-tuning)',
             'configs/context_restoration/benchmarks/unet-tiny_1xb8-'
             'adam-500i_knee-us-128_context-restoration_cpu.py',
             {'custom_hooks': '[]'}),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=40)
    parser.add_argument('--data-root', default='data/knee_us')
    parser.add_argument('--only', nargs='+', choices=sorted(SIBLINGS))
    parser.add_argument(
        '--work-dir', help='where the runs go (default: a temporary folder)')
    return parser.parse_args()


def _mean_times(work_dir: str, skip_first: int):
    files = sorted(glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise RuntimeError(f'no vis_data/scalars.json under {work_dir}; '
                           'did the run fail? See its log there.')
    rows = []
    with open(files[-1], encoding='utf-8') as f:
        for line in f:
            rec = json.loads(line)
            if 'time' in rec and 'data_time' in rec and 'loss' in rec:
                rows.append((rec['iter'], rec['time'], rec['data_time']))
    rows = [r for r in rows if r[0] > skip_first]
    if not rows:
        raise RuntimeError(f'{files[-1]}: no training records after '
                           f'iteration {skip_first}; use more --iters.')
    return (sum(r[1] for r in rows) / len(rows),
            sum(r[2] for r in rows) / len(rows))


def main():
    args = parse_args()
    os.chdir(ROOT)
    data_root = args.data_root
    tmp = tempfile.mkdtemp(prefix='ussl_bench_')
    if not osp.isdir(osp.join(data_root, 'img_dir')):
        data_root = osp.join(tmp, 'knee_us')
        subprocess.run([
            sys.executable,
            'tools/dataset_converters/generate_synthetic_knee_us.py', '--out',
            data_root
        ], check=True)
    work_root = args.work_dir or osp.join(tmp, 'runs')
    interval = 10
    print('| CPU sibling | fp32 time / data_time (s/iter) '
          '| --amp time / data_time (s/iter) | speed-up |')
    print('|---|---|---|---|')
    for key in args.only or SIBLINGS:
        title, config, extra = SIBLINGS[key]
        res = {}
        for amp in (False, True):
            wd = osp.join(work_root, f'{key}_{"amp" if amp else "fp32"}')
            cfg = Config.fromfile(config)
            opts = {
                'train_cfg.max_iters': args.iters,
                'default_hooks.logger.interval': interval,
                'default_hooks.checkpoint.interval': 10 * args.iters,
                **extra,
            }
            if cfg.get('val_dataloader'):
                opts['train_cfg.val_interval'] = 10 * args.iters
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader'):
                if cfg.get(loader):
                    opts[f'{loader}.dataset.data_root'] = data_root
            cmd = [sys.executable, 'tools/train.py', config, '--work-dir', wd]
            if amp:
                cmd.append('--amp')
            cmd += ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]
            with open(osp.join(tmp, f'{key}_{amp}.log'), 'w') as log:
                ret = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
            if ret.returncode:
                raise RuntimeError(f'{" ".join(cmd)} failed; log: {log.name}')
            res[amp] = _mean_times(wd, skip_first=interval)
        (t32, d32), (tam, dam) = res[False], res[True]
        print(f'| {title} | {t32:.3f} / {d32:.4f} | {tam:.3f} / {dam:.4f} '
              f'| {t32 / tam:.2f}x |', flush=True)


if __name__ == '__main__':
    main()
