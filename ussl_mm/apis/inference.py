# Copyright (c) ussl_mm contributors. All rights reserved.
"""A fine-tuned segmentor for mmseg's own ``inference_model`` and
``show_result_pyplot``, built from a ussl_mm config.

mmseg's ``init_model`` does not serve our configs as they are, for three
reasons, each fixed here before (or after) calling it:

1. It builds ``cfg.model`` only. Our dataset bases keep ``data_preprocessor``
   at the top level, which mmengine's Runner merges into the model
   (``model.setdefault('data_preprocessor', cfg.data_preprocessor)``), so
   ``init_model`` alone gives a model without mean/std, BGR->RGB or batch
   stacking. :func:`merge_data_preprocessor` does what the Runner does.
2. ``inference_model`` removes only transforms of type ``'LoadAnnotations'``
   from ``cfg.test_pipeline``; ours is ``LoadUSAnnotations``, which then
   fails on the missing mask. :func:`inference_pipeline` removes every
   annotation loader (``Load*Annotation*``, any scope).
3. Its checkpoint loading is lenient (a checkpoint of another architecture
   loads partly, with a warning). Here it is strict
   (:func:`~ussl_mm.utils.load_checkpoint_strict`).

Example::

    from mmseg.apis import inference_model, show_result_pyplot
    from ussl_mm.apis import init_segmentor

    model = init_segmentor(CONFIG, CHECKPOINT)
    result = inference_model(model, 'scan.png')   # result.pred_sem_seg
    show_result_pyplot(model, 'scan.png', result, show=False,
                       out_file='scan_overlay.png')
"""
import copy
import re
from pathlib import Path
from typing import List, Optional, Union

import numpy as np
import torch.nn as nn
from mmengine.config import Config

from ..utils import (check_data_preprocessor, load_checkpoint_strict,
                     register_safe_globals, strip_collate_scope)
from .run import leaf_datasets, load_cfg

#: Transform types that read masks (``LoadAnnotations``,
#: ``LoadUSAnnotations``, ``LoadBiomedicalAnnotation``, with or without a
#: ``scope.`` prefix).
_ANNOTATION_LOADER = re.compile(r'^(\w+\.)?Load\w*Annotation')


def _type_name(transform: dict) -> str:
    t = transform.get('type', '')
    return t if isinstance(t, str) else getattr(t, '__name__', str(t))


def merge_data_preprocessor(cfg: Config) -> Config:
    """Put the top-level ``data_preprocessor`` into ``cfg.model``, as
    mmengine's Runner does (``model.setdefault``: a model's own preprocessor
    wins).

    Args:
        cfg (Config): The config, modified in place.

    Returns:
        Config: ``cfg``.

    Raises:
        ValueError: If ``model.data_preprocessor`` has no ``type``
            (:func:`~ussl_mm.utils.check_data_preprocessor`).
    """
    check_data_preprocessor(cfg, config=cfg.filename)
    pre = cfg.get('data_preprocessor')
    if pre is not None:
        cfg.model.setdefault('data_preprocessor', copy.deepcopy(pre))
    return cfg


def inference_pipeline(cfg: Config) -> List[dict]:
    """The test pipeline without its annotation loaders.

    It is the pipeline of the ``test_dataloader``'s dataset (the one
    ``tools/test.py`` scores), else ``cfg.test_pipeline``.

    Args:
        cfg (Config): The config.

    Returns:
        list[dict]: The transforms, starting with the image loader.

    Raises:
        ValueError: If the config has no test pipeline (a pretraining
            config), or its first transform (after the annotation loaders
            are removed) does not load an image file (e.g. a NIfTI config,
            whose dataset reads the slices itself).
    """
    loader = cfg.get('test_dataloader') or {}
    leaves = list(leaf_datasets(loader.get('dataset', {})))
    pipeline = (leaves[0].get('pipeline') if leaves else None) or cfg.get(
        'test_pipeline')
    if not pipeline:
        raise ValueError(
            f'{cfg.filename} has no test_dataloader pipeline and no '
            'test_pipeline: it is a pretraining config. Use the fine-tuning '
            'config (configs/*/benchmarks/ or configs/{fcn,unet}/) that '
            'wrote the checkpoint.')
    kept = [
        copy.deepcopy(t) for t in pipeline
        if not _ANNOTATION_LOADER.match(_type_name(t))
    ]
    first = _type_name(kept[0]) if kept else '<empty>'
    if not first.split('.')[-1].startswith('Load'):
        raise ValueError(
            f'{cfg.filename}: the test pipeline starts with {first}, not an '
            'image loader (LoadUSImage): its dataset reads the images itself '
            '(e.g. NIfTI volumes sliced by NiftiSliceDataset), so images '
            'cannot be segmented from files with this config. Use a config '
            'whose test pipeline starts with LoadUSImage (the knee-us '
            'configs) and 2-D image files.')
    return kept


def _dataset_meta(cfg: Config, checkpoint: dict) -> dict:
    """Classes and palette: the checkpoint's (the Runner saves the training
    set's), else the test dataset class's ``METAINFO`` updated with the
    config's ``metainfo``. mmseg falls back to a data set with as many
    classes (e.g. Cityscapes), whose names would be wrong here."""
    meta = (checkpoint.get('meta') or {}).get('dataset_meta')
    if not meta:
        from mmseg.registry import DATASETS
        leaves = list(leaf_datasets(
            (cfg.get('test_dataloader') or {}).get('dataset', {})))
        ds = leaves[0] if leaves else {}
        cls = DATASETS.get(ds.get('type', '')) if ds.get('type') else None
        meta = dict(copy.deepcopy(getattr(cls, 'METAINFO', {}) or {}))
        meta.update(copy.deepcopy(ds.get('metainfo') or {}))
    meta = dict(meta)
    classes = meta.get('classes')
    if not classes:
        raise ValueError(
            f'Neither the checkpoint nor the test dataset of {cfg.filename} '
            "names the classes: set test_dataloader.dataset.metainfo=dict("
            "classes=('background', ...), palette=[[0, 0, 0], ...]).")
    if not meta.get('palette'):
        # As mmseg's BaseSegDataset does for a set without a palette.
        rng = np.random.RandomState(42)
        meta['palette'] = rng.randint(0, 255, (len(classes), 3)).tolist()
    return meta


def init_segmentor(config: Union[str, Path, Config],
                   checkpoint: str,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None) -> nn.Module:
    """A fine-tuned segmentor ready for mmseg's ``inference_model``.

    It is mmseg's ``init_model`` on a config prepared as the Runner would
    (:func:`merge_data_preprocessor`), with annotation loaders removed from
    ``model.cfg.test_pipeline`` (:func:`inference_pipeline`), the checkpoint
    loaded strictly, and ``model.dataset_meta`` (classes, palette) set for
    ``show_result_pyplot``.

    Give ``inference_model`` image *paths*: with an array, mmseg replaces
    the first transform (our ``LoadUSImage``, which makes gray images
    3-channel) by ``LoadImageFromNDArray`` for good.

    Args:
        config (str | Path | Config): The fine-tuning config the checkpoint
            was trained with.
        checkpoint (str): The fine-tuned checkpoint (``tools/train.py``'s
            ``iter_*.pth`` / ``best_*.pth``).
        device (str): ``'cpu'``, ``'cuda:0'``, ... Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config
            (as ``--cfg-options``). Defaults to None.

    Returns:
        nn.Module: The segmentor in eval mode, with ``cfg`` and
        ``dataset_meta``.

    Raises:
        FileNotFoundError: If the config or the checkpoint does not exist.
        ValueError: If the config is not a fine-tuning config with an image
            loader in its test pipeline.
        RuntimeError: If the checkpoint's keys or shapes do not match the
            model (the message says when it is a pretraining checkpoint).
    """
    from mmseg.apis import init_model
    if isinstance(config, Config):
        cfg = copy.deepcopy(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        strip_collate_scope(cfg)
    else:
        cfg = load_cfg(str(config), cfg_options)
    name = cfg.filename or str(config)
    cfg.test_pipeline = inference_pipeline(cfg)
    merge_data_preprocessor(cfg)
    model = init_model(cfg, None, device=device)
    register_safe_globals()  # mmengine's checkpoints pickle a HistoryBuffer
    ckpt = load_checkpoint_strict(model, checkpoint, config=name)
    model.dataset_meta = _dataset_meta(cfg, ckpt)
    return model
