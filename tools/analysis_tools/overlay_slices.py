# Copyright (c) ussl_mm contributors. All rights reserved.
"""Overlay PNG of a segmentation model's predictions: one row per slice
(or image), three panels: image | ground truth | prediction.

The model is CONFIG's, with CHECKPOINT loaded strictly
(:func:`ussl_mm.utils.load_checkpoint_strict`: a checkpoint of another
architecture is refused, not drawn half-random). Images, masks and the
test-time preprocessing come from the config's ``test_dataloader`` (its
split folder replaced by ``--split``), so the prediction is the one
``tools/test.py`` scores. Class colours are the dataset's ``palette``.

Which slices: by default ``--num-slices`` slices spread evenly over those
whose ground truth has foreground (for a volume: from its first to its
last foreground slice); ``--indices`` picks dataset indices instead. The
title of each row gives the slice (volume id and slice index for NIfTI)
and the Dice of each foreground class present in it.

Example (the real-MRI worked example, docs/mri_example.md)::

    python tools/analysis_tools/overlay_slices.py \\
        configs/unet/unet-tiny_1xb8-adam-2000i_mri-colin27-128_cpu.py \\
        work_dirs/mri_colin27/runs/scratch_100pct_seed0/best_mDice_iter_500.pth \\
        --out work_dirs/mri_colin27/overlay_scratch.png
"""
import argparse
import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import DictAction


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='image | ground truth | prediction overlays')
    parser.add_argument('config', help='fine-tuning config')
    parser.add_argument('checkpoint', help='fine-tuned checkpoint')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument(
        '--split', default='test',
        help='split folder (img_dir/<split>, ann_dir/<split>). Defaults to '
        'test')
    parser.add_argument(
        '--num-slices', type=int, default=4,
        help='rows: slices spread over those with foreground. Defaults to 4')
    parser.add_argument(
        '--indices', type=int, nargs='+',
        help='dataset indices to draw instead of --num-slices')
    parser.add_argument('--alpha', type=float, default=0.5,
                        help='opacity of the class colours. Defaults to 0.5')
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (as tools/test.py)')
    return parser.parse_args(argv)


def _split_prefix(prefix: str, split: str) -> str:
    prefix = prefix.rstrip('/')
    return osp.join(osp.dirname(prefix), split) if prefix else split


def build_dataset(cfg, split: str):
    """The config's test dataset on ``split`` (its own pipeline)."""
    from mmengine.registry import DATASETS, DefaultScope
    ds = copy.deepcopy(cfg.test_dataloader.dataset)
    prefix = dict(ds.get('data_prefix', {}))
    if 'img_path' not in prefix or not prefix.get('seg_map_path'):
        raise KeyError(
            f'overlay_slices: the test dataset of {cfg.filename} needs '
            'data_prefix=dict(img_path=..., seg_map_path=...) to find images '
            f'and masks, got data_prefix={prefix}.')
    ds['data_prefix'] = dict(
        prefix, img_path=_split_prefix(prefix['img_path'], split),
        seg_map_path=_split_prefix(prefix['seg_map_path'], split))
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmseg')):
        return DATASETS.build(ds)


def build_model(cfg, checkpoint: str):
    """The config's segmentor (with the data preprocessor the Runner would
    merge in), CHECKPOINT loaded strictly, in eval mode."""
    from mmengine.registry import MODELS, DefaultScope

    from ussl_mm.apis import merge_data_preprocessor
    from ussl_mm.utils import load_checkpoint_strict, register_safe_globals
    model_cfg = merge_data_preprocessor(copy.deepcopy(cfg)).model
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmseg')):
        model = MODELS.build(model_cfg)
    register_safe_globals()  # mmengine's checkpoints pickle a HistoryBuffer
    load_checkpoint_strict(model, checkpoint, config=cfg.filename)
    return model.eval()


def pick_indices(fg_area: Sequence[int], num: int) -> List[int]:
    """``num`` indices spread evenly from the first to the last item with
    foreground (all items when none has any).

    Args:
        fg_area (Sequence[int]): Foreground pixels of each item, in order.
        num (int): How many.

    Returns:
        list[int]: Sorted, distinct indices.
    """
    if num < 1:
        raise ValueError(f'--num-slices must be >= 1, got {num}.')
    with_fg = [i for i, a in enumerate(fg_area) if a > 0]
    pool = with_fg or list(range(len(fg_area)))
    if not pool:
        raise ValueError('overlay_slices: the dataset is empty.')
    if len(pool) <= num:
        return pool
    # inner quantiles: skip the thin first/last slices of a structure
    positions = np.linspace(0, len(pool) - 1, num + 2)[1:-1]
    return sorted({pool[int(round(p))] for p in positions})


def _colour(labels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    out = np.zeros(labels.shape + (3, ), np.float32)
    for c in range(len(palette)):
        out[labels == c] = palette[c] / 255.0
    return out


def _blend(gray: np.ndarray, labels: np.ndarray, palette: np.ndarray,
           alpha: float) -> np.ndarray:
    rgb = np.repeat(gray[..., None], 3, axis=-1)
    fg = (labels > 0) & (labels < len(palette))
    colour = _colour(labels, palette)
    rgb[fg] = (1 - alpha) * rgb[fg] + alpha * colour[fg]
    return rgb


def _display(img: np.ndarray) -> np.ndarray:
    """Channel 0 stretched to its 1-99th percentiles, in [0, 1]."""
    ch = img[0] if img.ndim == 3 else img
    ch = np.asarray(ch, np.float32)
    lo, hi = np.percentile(ch, (1, 99))
    return np.clip((ch - lo) / max(hi - lo, 1e-6), 0, 1)


def _dice(pred: np.ndarray, gt: np.ndarray, c: int) -> float:
    p, g = pred == c, gt == c
    return 200.0 * (p & g).sum() / max(p.sum() + g.sum(), 1)


def overlay(cfg,
            checkpoint: str,
            out: str,
            split: str = 'test',
            num_slices: int = 4,
            indices: Optional[Sequence[int]] = None,
            alpha: float = 0.5) -> Dict:
    """Predict the chosen items and write the PNG.

    Args:
        cfg (Config): Fine-tuning config (read by ``ussl_mm.apis.load_cfg``).
        checkpoint (str): Checkpoint of that config's model.
        out (str): PNG path.
        split (str): Split folder. Defaults to 'test'.
        num_slices (int): Rows when ``indices`` is None. Defaults to 4.
        indices (Sequence[int], optional): Dataset indices. Defaults to None.
        alpha (float): Opacity of the colours. Defaults to 0.5.

    Returns:
        dict: ``png``, ``indices`` and per row the ``title``.
    """
    import cv2
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import torch
    from matplotlib.patches import Patch
    from mmengine.dataset import pseudo_collate

    dataset = build_dataset(cfg, split)
    if indices is None:
        areas = []
        for i in range(len(dataset)):
            gt = dataset[i]['data_samples'].gt_sem_seg.data.numpy()[0]
            areas.append(int(((gt > 0) & (gt != 255)).sum()))
        indices = pick_indices(areas, num_slices)
    bad = [i for i in indices if not 0 <= i < len(dataset)]
    if bad:
        raise IndexError(f'overlay_slices: indices {bad} are outside the '
                         f'{len(dataset)} items of split {split!r}.')
    model = build_model(cfg, checkpoint)
    classes = list(dataset.metainfo['classes'])
    palette = np.asarray(dataset.metainfo.get('palette') or [], np.float32)
    if len(palette) < len(classes):
        raise ValueError(
            f'overlay_slices: the dataset has {len(classes)} classes but a '
            f'palette of {len(palette)} colours; give metainfo.palette.')
    fig, axes = plt.subplots(
        len(indices), 3, figsize=(9, 3 * len(indices)), squeeze=False)
    rows = []
    for row, idx in enumerate(indices):
        item = dataset[idx]
        with torch.no_grad():
            pred = model.test_step(pseudo_collate([item]))[0]
        pred = pred.pred_sem_seg.data.numpy()[0]
        gt = item['data_samples'].gt_sem_seg.data.numpy()[0]
        img = item['inputs'].numpy()
        gray = _display(img)
        if gray.shape != gt.shape:  # test pipelines that resize the image
            gray = cv2.resize(gray, gt.shape[::-1],
                              interpolation=cv2.INTER_LINEAR)
        meta = item['data_samples'].metainfo
        name = osp.basename(meta.get('img_path', str(idx)))
        if meta.get('slice_idx') is not None:
            name += f' slice {meta["slice_idx"]}'
        scores = ', '.join(
            f'{classes[c]} {_dice(pred, gt, c):.0f}'
            for c in range(1, len(classes)) if (gt == c).any())
        # Two lines: one long line runs into the neighbouring rows.
        title = name + (f'\nDice {scores}' if scores else '')
        rows.append(dict(index=idx, title=title))
        panels = [(gray, 'image'),
                  (_blend(gray, gt, palette, alpha), 'ground truth'),
                  (_blend(gray, pred, palette, alpha), 'prediction')]
        for col, (panel, label) in enumerate(panels):
            ax = axes[row, col]
            ax.imshow(panel, cmap='gray' if panel.ndim == 2 else None,
                      vmin=0, vmax=1, interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(label)
        axes[row, 0].set_ylabel(title, fontsize=7)
    handles = [
        Patch(color=palette[c] / 255.0, label=classes[c])
        for c in range(1, len(classes))
    ]
    fig.legend(handles=handles, loc='lower center', ncol=len(handles),
               frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return dict(png=out, indices=list(indices), rows=rows)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    from ussl_mm.apis import load_cfg
    args = parse_args(argv)
    cfg = load_cfg(args.config, args.cfg_options, args.data_root)
    result = overlay(cfg, args.checkpoint, args.out, args.split,
                     args.num_slices, args.indices, args.alpha)
    for row in result['rows']:
        print(f'[{row["index"]}] {row["title"]}')
    print(f'Overlay written to {result["png"]}')
    return result


if __name__ == '__main__':
    main()
