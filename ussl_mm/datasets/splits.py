"""Nested, stratified, deterministic label-fraction splits.

Label-efficiency results are only comparable if a reviewer can rebuild the
exact labelled subsets. These helpers are generic: ``names`` may be image
stems (2-D sets) or volume ids (3-D sets).

Nesting is built from one seeded permutation per stratum: the ``p`` % subset
takes the first ``k_pos(p)`` positives and the first ``k_neg(p)`` negatives
of those permutations, and both counts grow with ``p``, so every smaller
subset lies inside every larger one. ``sklearn.model_selection`` splitters
were not used because they draw each size independently, which breaks the
nesting.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from ..utils.atomic import atomic_write_json

DEFAULT_FRACTIONS = (1, 5, 10, 25, 50, 100)


def _pct_key(pct: float):
    """``5.0 -> 5`` so file names read ``train_5pct.txt``."""
    return int(pct) if float(pct).is_integer() else float(pct)


def nested_fraction_splits(names: Sequence[str],
                           positive: Sequence[bool],
                           fractions: Sequence[float] = DEFAULT_FRACTIONS,
                           seed: int = 0) -> Dict[int, List[str]]:
    """Cut nested label-fraction subsets, stratified on ``positive``.

    Args:
        names (Sequence[str]): Unique item names (image stems or volume ids).
        positive (Sequence[bool]): Whether each item contains the foreground
            class; both strata keep their share in every subset.
        fractions (Sequence[float]): Percentages in (0, 100]. Defaults to
            (1, 5, 10, 25, 50, 100).
        seed (int): Seed of the permutations. Defaults to 0.

    Returns:
        dict[int, list[str]]: ``{pct: sorted names}``, nested as ``pct`` grows,
        each with at least one item (one positive too, when any exists).
    """
    names = [str(n) for n in names]
    positive = [bool(p) for p in positive]
    if len(names) == 0:
        raise ValueError('nested_fraction_splits got no names: the source '
                         'folder or list is empty.')
    if len(names) != len(positive):
        raise ValueError(f'names ({len(names)}) and positive '
                         f'({len(positive)}) must have the same length.')
    if len(set(names)) != len(names):
        seen, dup = set(), set()
        for n in names:
            (dup if n in seen else seen).add(n)
        raise ValueError(f'Duplicate names in split source: {sorted(dup)[:5]}')
    bad = [f for f in fractions if not 0 < float(f) <= 100]
    if bad:
        raise ValueError(f'Fractions must be percentages in (0, 100], got '
                         f'{bad}.')
    rng = np.random.default_rng(seed)
    # sort first so the result does not depend on the listing order
    order = sorted(range(len(names)), key=lambda i: names[i])
    pos = [names[i] for i in order if positive[i]]
    neg = [names[i] for i in order if not positive[i]]
    pos = [pos[i] for i in rng.permutation(len(pos))]
    neg = [neg[i] for i in rng.permutation(len(neg))]
    out = {}
    for pct in sorted(float(f) for f in fractions):
        # each stratum's count is monotone in pct, hence the nesting
        k_pos = min(len(pos), int(round(len(pos) * pct / 100.0)))
        k_neg = min(len(neg), int(round(len(neg) * pct / 100.0)))
        if pos and k_pos == 0:
            k_pos = 1
        elif not pos and k_neg == 0:
            k_neg = 1
        out[_pct_key(pct)] = sorted(pos[:k_pos] + neg[:k_neg])
    return out


def write_fraction_splits(out_dir: str,
                          splits: Dict[int, List[str]],
                          manifest_extra: Optional[dict] = None,
                          names: Optional[Sequence[str]] = None,
                          positive: Optional[Sequence[bool]] = None) -> str:
    """Write ``train_{pct}pct.txt`` files and ``manifest.json``.

    Args:
        out_dir (str): Folder for the split files (created if absent).
        splits (dict[int, list[str]]): Output of
            :func:`nested_fraction_splits`.
        manifest_extra (dict, optional): Recorded in the manifest, e.g.
            ``seed`` and ``source``. Defaults to None.
        names (Sequence[str], optional): Full source list, recorded in the
            manifest with ``positive``. Defaults to None.
        positive (Sequence[bool], optional): Stratum of each of ``names``,
            used to count positives per split. Defaults to None.

    Returns:
        str: Path of the manifest.
    """
    os.makedirs(out_dir, exist_ok=True)
    pos_set = None
    if names is not None and positive is not None:
        pos_set = {n for n, p in zip(names, positive) if p}
    manifest = dict(manifest_extra or {})
    manifest['fractions'] = {}
    for pct, items in sorted(splits.items()):
        if not items:
            raise ValueError(f'Split {pct}% is empty; refusing to write it.')
        fname = f'train_{_pct_key(pct)}pct.txt'
        with open(osp.join(out_dir, fname), 'w') as f:
            f.write('\n'.join(items) + '\n')
        entry = dict(file=fname, count=len(items))
        if pos_set is not None:
            entry['positives'] = sum(n in pos_set for n in items)
        manifest['fractions'][str(_pct_key(pct))] = entry
    if names is not None:
        manifest['num_source'] = len(names)
        manifest['source_list'] = sorted(str(n) for n in names)
        if pos_set is not None:
            manifest['num_source_positive'] = len(pos_set)
    path = osp.join(out_dir, 'manifest.json')
    atomic_write_json(path, manifest, indent=2)
    return path


def _mask_positive(path: str,
                   foreground: Optional[Sequence[int]] = None,
                   mask_values: Optional[dict] = None,
                   ignore_index: int = 255) -> bool:
    from .image_files import mask_to_single_channel, read_mask
    from .validation import apply_mask_values
    m = apply_mask_values(
        mask_to_single_channel(read_mask(path), path), mask_values)
    if foreground is None:
        return bool(((m != 0) & (m != ignore_index)).any())
    return bool(np.isin(m, list(foreground)).any())


def positives_from_masks(ann_dir: str,
                         names: Sequence[str],
                         suffix: str = '.png',
                         foreground: Optional[Sequence[int]] = None,
                         mask_values: Optional[dict] = None
                         ) -> List[bool]:
    """Whether each mask ``ann_dir/name{suffix}`` holds a foreground pixel.

    Palette PNGs are read as label indices (as mmseg does).

    Args:
        ann_dir (str): Mask folder.
        names (Sequence[str]): Image stems.
        suffix (str): Mask suffix. Defaults to '.png'.
        foreground (Sequence[int], optional): Values counted as foreground.
            Defaults to None (any value other than 0 and 255).
        mask_values (dict, optional): Raw value -> class index, applied
            first (e.g. ``{0: 0, 255: 1}``). Defaults to None.

    Returns:
        list[bool]: One flag per name.
    """
    flags = []
    for name in names:
        path = osp.join(ann_dir, name + suffix)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'Mask not found: {path}. Every training image needs a mask '
                'to be stratified into the label-fraction splits.')
        flags.append(_mask_positive(path, foreground, mask_values))
    return flags


def fraction_splits_from_folder(data_root: str,
                                fractions: Sequence[float] = DEFAULT_FRACTIONS,
                                seed: int = 0,
                                img_subdir: str = 'img_dir/train',
                                ann_subdir: str = 'ann_dir/train',
                                img_suffix: Union[str, Sequence[str],
                                                  None] = None,
                                seg_map_suffix: Union[str,
                                                      Sequence[str]] = '.png',
                                split_dir: str = 'splits',
                                mask_values: Optional[dict] = None,
                                num_classes: Optional[int] = None) -> str:
    """Write nested splits of ``data_root/img_dir/train`` from its masks.

    The folder is checked as the datasets check it
    (:mod:`ussl_mm.datasets.validation`): images of every common suffix in
    any case are split (a stem is the image's path under ``img_subdir``
    without its suffix); images without masks, orphan masks, other image
    suffixes, unreadable masks and a 0/255 export are refused together, each
    file named, instead of being dropped from the splits.

    Args:
        data_root (str): Data set root.
        fractions (Sequence[float]): Percentages. Defaults to
            (1, 5, 10, 25, 50, 100).
        seed (int): Defaults to 0.
        img_subdir (str): Defaults to 'img_dir/train'.
        ann_subdir (str): Defaults to 'ann_dir/train'.
        img_suffix (str | Sequence[str], optional): Image suffixes
            (case-insensitive). Defaults to None (every common one).
        seg_map_suffix (str | Sequence[str]): Defaults to '.png'.
        split_dir (str): Output folder relative to ``data_root``. Defaults
            to 'splits'.
        mask_values (dict, optional): Raw mask value -> class index (e.g.
            ``{0: 0, 255: 1}``), as the dataset's. Defaults to None.
        num_classes (int, optional): Also check that mask values lie in
            ``0..num_classes-1``. Defaults to None.

    Returns:
        str: Path of the manifest.
    """
    from .image_files import IMG_SUFFIXES, normalise_suffixes
    from .validation import (check_seg_contents, normalise_mask_values,
                             scan_seg_folder)
    img_dir = osp.join(data_root, img_subdir)
    ann_dir = osp.join(data_root, ann_subdir)
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'Image folder not found: {img_dir}')
    if not osp.isdir(ann_dir):
        raise FileNotFoundError(
            f'Mask folder not found: {ann_dir}; the splits are stratified '
            'on the training masks.')
    mask_values = normalise_mask_values(mask_values)
    img_suffixes = normalise_suffixes(img_suffix, IMG_SUFFIXES)
    pairs, problems = scan_seg_folder(
        img_dir, ann_dir, img_suffixes,
        normalise_suffixes(seg_map_suffix, ('.png', )))
    if not pairs and not problems:
        raise FileNotFoundError(
            f'No images ({", ".join(img_suffixes)}) in {img_dir}; nothing '
            'to split.')
    check_seg_contents(pairs, num_classes, mask_values=mask_values,
                       problems=problems, check_images=False)
    problems.raise_if_any(f'Split source check of {img_dir} + {ann_dir}')
    names = [stem for stem, _, _ in pairs]
    positive = [_mask_positive(seg, mask_values=mask_values)
                for _, _, seg in pairs]
    splits = nested_fraction_splits(names, positive, fractions, seed)
    extra = dict(seed=seed, source=img_dir,
                 stratified_on='mask has foreground',
                 fractions_requested=[float(f) for f in fractions])
    if mask_values:
        extra['mask_values'] = {str(k): v for k, v in mask_values.items()}
    return write_fraction_splits(
        osp.join(data_root, split_dir), splits, extra,
        names=names, positive=positive)


def ensure_fraction_splits(data_root: str,
                           fractions: Sequence[float] = DEFAULT_FRACTIONS,
                           seed: int = 0,
                           split_dir: str = 'splits',
                           log=print,
                           **kwargs) -> str:
    """Write the splits unless all requested files exist with this seed.

    Args:
        data_root (str): Data set root.
        fractions (Sequence[float]): Percentages. Defaults to
            (1, 5, 10, 25, 50, 100).
        seed (int): Defaults to 0.
        split_dir (str): Defaults to 'splits'.
        log (callable): Progress printer. Defaults to ``print``.
        **kwargs: Passed to :func:`fraction_splits_from_folder` (e.g.
            ``img_suffix='.jpg'``).

    Returns:
        str: Path of the manifest.
    """
    out = osp.join(data_root, split_dir)
    manifest = osp.join(out, 'manifest.json')
    fractions = sorted(set(float(f) for f in fractions) | {100.0})
    have = osp.isfile(manifest) and all(
        osp.isfile(osp.join(out, f'train_{_pct_key(p)}pct.txt'))
        for p in fractions)
    if have:
        with open(manifest) as f:
            if json.load(f).get('seed') == seed:
                return manifest
    log(f'[splits] writing nested label-fraction splits {fractions} '
        f'(seed {seed}) to {out}')
    return fraction_splits_from_folder(
        data_root, fractions, seed, split_dir=split_dir, **kwargs)
