# Copyright (c) ussl_mm contributors. Adapted from mmsegmentation/tools/test.py.
"""Evaluate a fine-tuned segmentation checkpoint on the config's test split.

Prints mIoU, mDice and the per-class table (mmseg ``IoUMetric``). Unlike
mmseg's script, the checkpoint is loaded strictly: a checkpoint whose keys do
not match the config's model is refused instead of evaluated half-random.

Example::

    python tools/test.py CONFIG work_dirs/xxx/iter_40000.pth
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from ussl_mm.utils import load_checkpoint_strict, strip_collate_scope


def parse_args():
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a ussl_mm segmentation model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='directory where logs and the metric json are written')
    parser.add_argument(
        '--out',
        type=str,
        help='directory to save output predictions for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--tta', action='store_true', help='Test time augmentation')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg, args):
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        default_hooks['visualization'] = dict(type='SegVisualizationHook')
        cfg.visualizer = dict(
            type='SegLocalVisualizer',
            vis_backends=[dict(type='LocalVisBackend')],
            name='visualizer')
    hook = default_hooks['visualization']
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


def main():
    args = parse_args()

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    strip_collate_scope(cfg)
    if cfg.get('test_dataloader') is None:
        raise SystemExit(
            f'{args.config} has no test_dataloader: it is a pretraining '
            'config. Evaluate a fine-tuning config (configs/*/benchmarks/) '
            'that consumes the pretraining checkpoint instead.')
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'Checkpoint not found: {args.checkpoint}')

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    # Loaded strictly below instead of mmengine's lenient ``load_from``; the
    # pretrained-encoder transfer is a training-time hook, not needed here.
    cfg.load_from = None
    cfg.custom_hooks = [
        h for h in cfg.get('custom_hooks', [])
        if h.get('type') != 'PretrainedEncoderHook'
    ]

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True

    runner = Runner.from_cfg(cfg)
    load_checkpoint_strict(runner.model, args.checkpoint)
    runner.logger.info(f'Loaded {args.checkpoint} strictly (all keys match).')
    metrics = runner.test()

    os.makedirs(cfg.work_dir, exist_ok=True)
    out = osp.join(cfg.work_dir, 'test_metrics.json')
    with open(out, 'w', encoding='utf-8') as f:
        json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
    runner.logger.info(f'Metrics written to {out}')


if __name__ == '__main__':
    main()
