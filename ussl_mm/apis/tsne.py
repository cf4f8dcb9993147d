# Copyright (c) ussl_mm contributors. All rights reserved.
"""t-SNE of an encoder's image features (the functions behind
``tools/analysis_tools/visualize_tsne.py`` and the study report).

The backbone of a config is loaded with the ``backbone.`` tensors of a
checkpoint (a pretraining checkpoint of DenseCL / MoCo v2 / SimCLR /
SimSiam / Barlow Twins / inpainting, or a fine-tuning checkpoint) through
:func:`ussl_mm.utils.checkpoint.transfer_weights`, the verified loader of
the fine-tuning transfer: 100% of the backbone's tensors must load with
equal shapes and no extra keys, otherwise it stops and says why (a plot of a
half-random encoder would be worse than no plot). Global-average-pooled
features of one backbone output are embedded with
``sklearn.manifold.TSNE`` and plotted coloured by whether the image's mask
has foreground (effusion) and shaped by split.
"""
import copy
import csv
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import ImgDataPreprocessor
from mmengine.registry import DefaultScope, init_default_scope

from ..utils.checkpoint import transfer_weights
from ..utils.compat import register_safe_globals

RANDOM = 'random'
_SPLIT_MARKERS = ('o', '^', 's', 'D', 'v', 'P')


# ----------------------------------------------------------------- backbone
class _BackboneHolder(nn.Module):
    """Holds the backbone under the attribute ``backbone`` so that its
    ``state_dict`` keys are ``backbone.*``, as in every ussl_mm model."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone


def build_backbone(cfg: Config, checkpoint: str) -> nn.Module:
    """Build ``cfg.model.backbone`` in the config's scope and load it.

    Args:
        cfg (Config): The config.
        checkpoint (str): Checkpoint path, or ``'random'``.

    Returns:
        nn.Module: The backbone, in eval mode.

    Raises:
        FileNotFoundError: If the checkpoint does not exist.
        RuntimeError: If the checkpoint's ``backbone.`` does not fit the
            backbone 100% (missing, extra or differently shaped tensors).
    """
    scope = cfg.get('default_scope', 'mmpretrain')
    init_default_scope(scope)
    if scope == 'mmseg':
        from mmseg.registry import MODELS
    else:
        from mmpretrain.registry import MODELS
    if 'backbone' not in cfg.get('model', {}):
        raise KeyError(
            f'visualize_tsne: {cfg.filename} has no model.backbone; give a '
            'pretraining or fine-tuning config of ussl_mm.')
    backbone_cfg = copy.deepcopy(cfg.model.backbone)
    backbone_cfg.pop('init_cfg', None)  # weights come from the checkpoint
    with DefaultScope.overwrite_default_scope(scope):
        holder = _BackboneHolder(MODELS.build(backbone_cfg))
    holder.backbone.init_weights()
    if checkpoint == RANDOM:
        print_log('visualize_tsne: using the RANDOMLY INITIALISED backbone '
                  '(baseline), no checkpoint loaded.', logger='current')
    else:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(
                f'visualize_tsne: checkpoint {checkpoint!r} does not exist. '
                'Give the .pth written by tools/train.py (pretraining or '
                'fine-tuning), or "random" for the untrained baseline.')
        register_safe_globals()  # mmengine pickles a HistoryBuffer
        try:
            report = transfer_weights(holder, checkpoint,
                                      {'backbone.': 'backbone.'})
        except RuntimeError as err:
            raise RuntimeError(
                f'visualize_tsne: {checkpoint} does not fit the backbone of '
                f'{cfg.filename} ({backbone_cfg.get("type")}, depth '
                f'{backbone_cfg.get("depth")}); refusing to plot a partly '
                f'random encoder. Use the config the checkpoint was trained '
                f'with. Details: {err}') from err
        print_log(
            f'visualize_tsne: {checkpoint}: backbone tensors matched '
            f'{len(report["matched"])}/{report["total"]} '
            f'({100 * report["ratio"]:.1f}%).', logger='current')
    # mmpretrain/mmseg ResNet.train() returns None: do not chain.
    holder.backbone.eval()
    return holder.backbone


# --------------------------------------------------------------------- data
def _split_prefix(prefix: str, split: str) -> str:
    """``'img_dir/test'`` -> ``'img_dir/<split>'``."""
    prefix = prefix.rstrip('/')
    return osp.join(osp.dirname(prefix), split) if prefix else split


def dataset_cfg_for_split(cfg: Config, split: str,
                          data_root: Optional[str] = None,
                          img_size: Optional[int] = None) -> dict:
    """The mmseg dataset config that lists the images of ``split``.

    From ``cfg.test_dataloader.dataset`` (fine-tuning configs), else a
    ``KneeUSDataset`` over ``cfg.data_root`` (pretraining configs). The
    pipeline loads the image, resizes it (keep ratio) and loads the mask.
    """
    size = img_size or cfg.get('crop_size', 256)
    scale = (size, size) if isinstance(size, int) else tuple(size)
    test_loader = cfg.get('test_dataloader')
    if test_loader is not None and cfg.get('default_scope') == 'mmseg':
        ds = copy.deepcopy(test_loader.dataset)
    else:
        ds = dict(
            type='KneeUSDataset',
            data_root=cfg.get('data_root', 'data/knee_us/'),
            data_prefix=dict(
                img_path='img_dir/test', seg_map_path='ann_dir/test'))
    prefix = dict(ds.get('data_prefix', {}))
    if 'img_path' not in prefix or 'seg_map_path' not in prefix:
        raise KeyError(
            'visualize_tsne: the test dataset of the config needs '
            'data_prefix=dict(img_path=..., seg_map_path=...) to find the '
            f'images and masks, got data_prefix={prefix}.')
    ds['data_prefix'] = dict(
        img_path=_split_prefix(prefix['img_path'], split),
        seg_map_path=_split_prefix(prefix['seg_map_path'], split))
    if data_root is not None:
        ds['data_root'] = data_root
    ds.pop('label_fraction', None)
    ds['pipeline'] = [
        dict(type='LoadUSImage'),
        dict(type='Resize', scale=scale, keep_ratio=True),
        dict(type='LoadUSAnnotations'),
        dict(type='PackSegInputs'),
    ]
    ds['test_mode'] = False
    return ds


def _preprocessor(cfg: Config) -> ImgDataPreprocessor:
    """Normalisation of the config (mean/std, BGR->RGB), without padding to
    a crop or augmentation."""
    pre = cfg.get('model', {}).get('data_preprocessor') or cfg.get(
        'data_preprocessor')
    if not pre or 'mean' not in pre or 'std' not in pre:
        raise KeyError(
            f'visualize_tsne: {cfg.filename} defines no data_preprocessor '
            'with mean/std (expected from the dataset base config).')
    to_rgb = bool(pre.get('to_rgb', pre.get('bgr_to_rgb', False)))
    return ImgDataPreprocessor(
        mean=pre['mean'], std=pre['std'], bgr_to_rgb=to_rgb)


@torch.no_grad()
def extract_features(cfg: Config,
                     backbone: nn.Module,
                     splits: Sequence[str],
                     data_root: Optional[str] = None,
                     img_size: Optional[int] = None,
                     feature_index: int = -1,
                     batch_size: int = 16,
                     max_images: Optional[int] = None) -> Dict[str, list]:
    """Pooled backbone features and mask labels of every image of ``splits``.

    Returns:
        dict: ``features`` (N, C) array, ``effusion`` (N,) bool,
        ``fg_fraction`` (N,), ``split`` and ``name`` lists.
    """
    from mmseg.registry import DATASETS
    preprocessor = _preprocessor(cfg)
    feats: List[np.ndarray] = []
    out = dict(effusion=[], fg_fraction=[], split=[], name=[])
    for split in splits:
        ds_cfg = dataset_cfg_for_split(cfg, split, data_root, img_size)
        with DefaultScope.overwrite_default_scope('mmseg'):
            dataset = DATASETS.build(ds_cfg)
        n = len(dataset)
        if n == 0:
            folder = osp.join(ds_cfg.get('data_root', ''),
                              ds_cfg['data_prefix']['img_path'])
            raise RuntimeError(
                f'visualize_tsne: split {split!r} has no images under '
                f'{folder}. Check --data-root and --split.')
        if max_images:
            n = min(n, max_images)
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            items = [dataset[i] for i in range(start, stop)]
            batch = preprocessor(
                dict(inputs=[it['inputs'] for it in items]), False)
            outs = backbone(batch['inputs'])
            feat = outs[feature_index] if isinstance(outs, (list, tuple)) \
                else outs
            feats.append(feat.float().mean(dim=(2, 3)).cpu().numpy())
            for it in items:
                seg = it['data_samples'].gt_sem_seg.data
                fg = (seg > 0) & (seg != 255)
                out['effusion'].append(bool(fg.any()))
                out['fg_fraction'].append(float(fg.float().mean()))
                out['split'].append(split)
                out['name'].append(
                    osp.basename(it['data_samples'].img_path))
    out['features'] = np.concatenate(feats, axis=0)
    out['effusion'] = np.asarray(out['effusion'])
    out['fg_fraction'] = np.asarray(out['fg_fraction'])
    return out


# --------------------------------------------------------------- embedding
def _l2_normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def run_tsne(features: np.ndarray, perplexity: float, seed: int):
    """``sklearn.manifold.TSNE`` of the L2-normalised features (contrastive
    losses compare features by cosine). Perplexity is capped for small sets
    (sklearn requires perplexity < N). Up to 1000 images the exact
    gradient is used: O(N^2) is cheap there, and sklearn's Barnes-Hut
    default spends its time in thread start-up on small sets (30 s for 4
    images on a loaded 2-core machine)."""
    from sklearn.manifold import TSNE
    n = len(features)
    if n < 3:
        raise ValueError(
            f'visualize_tsne: t-SNE needs at least 3 images, got {n}. Add '
            'splits (e.g. --split train test) or images.')
    used = min(perplexity, max(1.0, (n - 1) / 3.0))
    if used != perplexity:
        print_log(f'visualize_tsne: {n} images, perplexity lowered from '
                  f'{perplexity} to {used:.2f}.', logger='current')
    tsne = TSNE(n_components=2, perplexity=used, init='pca',
                random_state=seed,
                method='exact' if n <= 1000 else 'barnes_hut')
    return tsne.fit_transform(_l2_normalise(features)), used


def knn_accuracy(features: np.ndarray, labels: np.ndarray,
                 k: int) -> Optional[float]:
    """Leave-one-out k-NN (cosine) accuracy of ``labels``; None when a class
    is absent or there are too few images."""
    n = len(labels)
    if n <= k or len(np.unique(labels)) < 2:
        return None
    x = _l2_normalise(features)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    nn_idx = np.argsort(-sim, axis=1)[:, :k]
    votes = labels[nn_idx].astype(float).mean(axis=1)
    pred = votes > 0.5
    return float((pred == labels.astype(bool)).mean())


def plot(embedding: np.ndarray, effusion: np.ndarray, splits: Sequence[str],
         out: str, title: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    split_names = list(dict.fromkeys(splits))
    splits = np.asarray(splits)
    for s_i, split in enumerate(split_names):
        for eff, colour, label in ((False, 'tab:blue', 'no effusion'),
                                   (True, 'tab:red', 'effusion')):
            sel = (splits == split) & (effusion == eff)
            if not sel.any():
                continue
            name = f'{label} ({split})' if len(split_names) > 1 else label
            ax.scatter(embedding[sel, 0], embedding[sel, 1], s=18,
                       c=colour, marker=_SPLIT_MARKERS[s_i % 6], alpha=0.75,
                       label=f'{name}, n={int(sel.sum())}')
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=8, loc='best')
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def encoder_tsne(cfg: Config,
                 checkpoint: str,
                 splits: Sequence[str],
                 out: str,
                 data_root: Optional[str] = None,
                 img_size: Optional[int] = None,
                 feature_index: int = -1,
                 perplexity: float = 30.0,
                 batch_size: int = 16,
                 max_images: Optional[int] = None,
                 knn: int = 5,
                 seed: int = 0) -> dict:
    """Features of ``checkpoint``'s backbone on ``splits`` -> t-SNE -> PNG
    (``out``), ``<out>.npz`` and ``<out>.csv``.

    Args:
        cfg (Config): Pretraining or fine-tuning config (from
            :func:`ussl_mm.apis.load_cfg`).
        checkpoint (str): Checkpoint path, or ``'random'``.
        splits (Sequence[str]): Split folders, e.g. ``['test']``.
        out (str): Output PNG.
        data_root (str, optional): Override the data root. Defaults to
            None.
        img_size (int, optional): Resize size. Defaults to the config's
            ``crop_size``.
        feature_index (int): Backbone output to pool. Defaults to -1.
        perplexity (float): Defaults to 30.
        batch_size (int): Defaults to 16.
        max_images (int, optional): Images per split. Defaults to None.
        knn (int): k of the leave-one-out k-NN accuracy. Defaults to 5.
        seed (int): Defaults to 0.

    Returns:
        dict: ``embedding``, ``knn_accuracy``, ``majority`` and the
        :func:`extract_features` outputs.
    """
    torch.manual_seed(seed)
    backbone = build_backbone(cfg, checkpoint)
    data = extract_features(
        cfg, backbone, splits, data_root=data_root, img_size=img_size,
        feature_index=feature_index, batch_size=batch_size,
        max_images=max_images)
    embedding, perplexity = run_tsne(data['features'], perplexity, seed)
    knn_acc = knn_accuracy(data['features'], data['effusion'], knn)

    out_dir = osp.dirname(out)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    stem = osp.splitext(out)[0]
    ckpt_name = 'random init' if checkpoint == RANDOM else \
        osp.basename(checkpoint)
    majority = float(
        max(data['effusion'].mean(), 1 - data['effusion'].mean()))
    knn_txt = 'n/a' if knn_acc is None else \
        f'{100 * knn_acc:.1f}% (majority class {100 * majority:.1f}%)'
    title = (f'{osp.splitext(osp.basename(cfg.filename))[0]}\n{ckpt_name}; '
             f'{"+".join(splits)}; {knn}-NN effusion acc {knn_txt}')
    plot(embedding, data['effusion'], data['split'], out, title)
    np.savez_compressed(
        stem + '.npz', embedding=embedding, features=data['features'],
        effusion=data['effusion'], fg_fraction=data['fg_fraction'],
        split=np.asarray(data['split']), name=np.asarray(data['name']),
        perplexity=perplexity,
        knn_accuracy=np.nan if knn_acc is None else knn_acc)
    with open(stem + '.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['name', 'split', 'effusion', 'fg_fraction', 'x', 'y'])
        for i, name in enumerate(data['name']):
            writer.writerow([
                name, data['split'][i], int(data['effusion'][i]),
                f'{data["fg_fraction"][i]:.5f}', f'{embedding[i, 0]:.5f}',
                f'{embedding[i, 1]:.5f}'
            ])
    print_log(
        f'visualize_tsne: {len(embedding)} images '
        f'({int(data["effusion"].sum())} with effusion), feature dim '
        f'{data["features"].shape[1]}, perplexity {perplexity:.2f}; '
        f'leave-one-out {knn}-NN effusion accuracy {knn_txt}. '
        f'Wrote {out}, {stem}.npz, {stem}.csv',
        logger='current')
    return dict(embedding=embedding, knn_accuracy=knn_acc, majority=majority,
                **data)

