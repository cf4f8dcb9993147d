"""Statistics of a data root: the normalisation a model should use, image
sizes, class pixel frequencies and foreground prevalence per split.

Normalising someone's point-of-care frames (mean gray about 22) with the
synthetic set's 114/80 feeds the network inputs centred at -1.2 with a
third of the expected spread; nothing fails, the results are just worse.
:func:`compute_dataset_stats` measures the data as the model sees it (the
same :class:`~ussl_mm.datasets.transforms.LoadUSImage` conversion: colour to
gray, 16-bit handling), :func:`write_stats_config` writes a small config to
inherit, and :func:`compare_normalisation` says when a config's mean/std do
not fit the data.
"""
import datetime
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..utils.atomic import atomic_write_text
from .image_files import (IMG_SUFFIXES, color_overlay_mask, convert_color,
                          mask_to_single_channel, normalise_suffixes,
                          read_mask)
from .validation import (DataValidationError, Problems, apply_mask_values,
                         check_seg_contents, normalise_mask_values,
                         scan_seg_folder)

#: Warn when the data's mean, normalised by the config, is further than
#: this from 0 ...
MEAN_SHIFT_TOL = 0.5
#: ... or its std, normalised, outside [1 / STD_RATIO_TOL, STD_RATIO_TOL].
STD_RATIO_TOL = 1.5
#: Refuse a gray-level std (0..255) below this: blank or constant images,
#: whose std would normalise every input to +-inf (nan losses).
MIN_STD = 1.0


def compute_dataset_stats(data_root: str,
                          splits: Sequence[str] = ('train', 'val', 'test'),
                          img_subdir: str = 'img_dir',
                          ann_subdir: str = 'ann_dir',
                          mean_split: str = 'train',
                          num_classes: Optional[int] = None,
                          mask_values: Optional[dict] = None,
                          ignore_index: int = 255,
                          img_suffix=None,
                          seg_map_suffix='.png',
                          rgb_to_gray: bool = True,
                          convert_16bit: str = 'refuse',
                          overlay_min_chroma: int = 48) -> dict:
    """Scan ``data_root/{img_dir,ann_dir}/<split>`` once.

    The folders are checked as the datasets check them (every bad file is
    listed in one :class:`~ussl_mm.datasets.validation.DataValidationError`).
    Splits whose image folder is absent are skipped and listed in
    ``missing_splits``; a split without a mask folder gets image statistics
    only.

    Args:
        data_root (str): Data root in the ussl_mm layout.
        splits (Sequence[str]): Splits to scan. Defaults to
            ('train', 'val', 'test').
        img_subdir (str): Defaults to 'img_dir'.
        ann_subdir (str): Defaults to 'ann_dir'.
        mean_split (str): Split whose pixels give ``mean``/``std`` (never
            the test split's, so no test information reaches training).
            Defaults to 'train'.
        num_classes (int, optional): Number of classes; None infers the
            largest class value + 1 (after ``mask_values``). Defaults to
            None.
        mask_values (dict, optional): Raw mask value -> class index, as the
            dataset arg. Defaults to None.
        ignore_index (int): Defaults to 255.
        img_suffix (str | Sequence[str], optional): Defaults to None (every
            common image suffix, any case).
        seg_map_suffix (str | Sequence[str]): Defaults to '.png'.
        rgb_to_gray (bool): As :class:`LoadUSImage`. Defaults to True.
        convert_16bit (str): As :class:`LoadUSImage`. Defaults to 'refuse'.
        overlay_min_chroma (int): Chroma from which a pixel of a colour
            image counts as overlay (reported). Defaults to 48.

    Returns:
        dict: ``data_root``, ``mean``, ``std`` (gray levels 0..255 of
        ``mean_split``; one value, the same on the 3 replicated channels),
        ``mean_split``, ``num_pixels``, ``num_classes``, ``missing_splits``
        and ``splits``: per split ``num_images``, ``sizes``
        (``{'HxW': count}``), ``num_color_images``,
        ``overlay_pixel_fraction`` (of the colour images' pixels), ``mean``,
        ``std``, and when it has masks ``num_masks``, ``class_pixels``,
        ``class_pixel_frequency`` (per class, ignore excluded),
        ``ignore_pixels``, ``num_with_foreground``,
        ``foreground_prevalence`` (fraction of masks with any pixel of a
        class > 0).

    Raises:
        FileNotFoundError: If ``data_root`` or its ``mean_split`` is absent.
        DataValidationError: If files fail the datasets' checks, or the
            ``mean_split`` images are blank or constant (std below
            :data:`MIN_STD`).
    """
    from .transforms.loading import LoadUSImage
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data_root {data_root!r} does not exist.')
    mask_values = normalise_mask_values(mask_values)
    img_suffixes = normalise_suffixes(img_suffix, IMG_SUFFIXES)
    seg_suffixes = normalise_suffixes(seg_map_suffix, ('.png', ))
    loader = LoadUSImage(convert_16bit=convert_16bit)
    problems = Problems()
    found, missing = {}, []
    for split in splits:
        img_dir = osp.join(data_root, img_subdir, split)
        ann_dir = osp.join(data_root, ann_subdir, split)
        if not osp.isdir(img_dir):
            missing.append(split)
            continue
        pairs, _ = scan_seg_folder(
            img_dir, ann_dir if osp.isdir(ann_dir) else None, img_suffixes,
            seg_suffixes, problems=problems)
        found[split] = pairs
    if mean_split not in found:
        raise FileNotFoundError(
            f'{osp.join(data_root, img_subdir, mean_split)} does not exist: '
            f'mean/std come from the {mean_split!r} split.')
    for split, pairs in found.items():
        check_seg_contents(pairs, num_classes, ignore_index, mask_values,
                           allow_16bit=convert_16bit != 'refuse',
                           problems=problems)
    problems.raise_if_any(f'Statistics of {data_root}')

    out: Dict = dict(data_root=osp.abspath(data_root),
                     mean_split=mean_split, missing_splits=missing,
                     splits={})
    max_class = 0
    for split, pairs in found.items():
        hist = np.zeros(256, np.float64)
        sizes, n_color, over_px, color_px = Counter(), 0, 0, 0
        class_px: Counter = Counter()
        n_masks = n_fg = 0
        for _, img_path, seg_path in pairs:
            img = loader.read(dict(img_path=img_path))
            sizes[f'{img.shape[0]}x{img.shape[1]}'] += 1
            if img.ndim == 3 and img.shape[2] == 1:
                img = img[..., 0]
            if img.ndim == 3:
                bgr = img[..., :3]
                if not (np.array_equal(bgr[..., 0], bgr[..., 1])
                        and np.array_equal(bgr[..., 1], bgr[..., 2])):
                    n_color += 1
                    over_px += int(color_overlay_mask(
                        bgr, overlay_min_chroma).sum())
                    color_px += bgr.shape[0] * bgr.shape[1]
                img = convert_color(bgr, rgb_to_gray)
            hist += np.bincount(img.ravel(), minlength=256)
            if seg_path is None:
                continue
            seg = apply_mask_values(
                mask_to_single_channel(read_mask(seg_path), seg_path),
                mask_values)
            vals, counts = np.unique(seg, return_counts=True)
            class_px.update({int(v): int(c) for v, c in zip(vals, counts)})
            n_masks += 1
            if any(v not in (0, ignore_index) for v in vals):
                n_fg += 1
        levels = np.arange(256, dtype=np.float64)
        n_px = hist.sum()
        mean = float((hist * levels).sum() / n_px)
        std = float(np.sqrt((hist * (levels - mean)**2).sum() / n_px))
        entry = dict(num_images=len(pairs), sizes=dict(sorted(sizes.items())),
                     num_color_images=n_color,
                     overlay_pixel_fraction=(over_px / color_px
                                             if color_px else 0.0),
                     mean=round(mean, 2), std=round(std, 2),
                     num_pixels=int(n_px))
        if n_masks:
            ign = class_px.pop(ignore_index, 0)
            max_class = max([max_class] + list(class_px))
            entry.update(num_masks=n_masks, class_pixels=dict(class_px),
                         ignore_pixels=ign, num_with_foreground=n_fg,
                         foreground_prevalence=round(n_fg / n_masks, 4))
        out['splits'][split] = entry
    k = num_classes if num_classes is not None else max_class + 1
    out['num_classes'] = k
    for entry in out['splits'].values():
        if 'class_pixels' in entry:
            px = [entry['class_pixels'].get(c, 0) for c in range(k)]
            total = float(sum(px)) or 1.0
            entry['class_pixels'] = px
            entry['class_pixel_frequency'] = [round(p / total, 6) for p in px]
    ms = out['splits'][mean_split]
    if ms['std'] < MIN_STD:
        raise DataValidationError(
            f'Statistics of {data_root}: the {ms["num_images"]} '
            f'{mean_split} images '
            f'({osp.join(data_root, img_subdir, mean_split)}) have '
            f'gray-level std {ms["std"]} (mean {ms["mean"]}), below '
            f'{MIN_STD}: the images are blank or constant (e.g. all black). '
            'Normalising by this std would divide by ~0, and training would '
            'log nan losses. Check the export: empty frames, a wrong '
            'window/level, or 16-bit values scaled to black; then compute '
            'the statistics again.')
    out.update(mean=ms['mean'], std=ms['std'], num_pixels=ms['num_pixels'])
    return out


def compare_normalisation(stats: dict, mean, std,
                          mean_shift_tol: float = MEAN_SHIFT_TOL,
                          std_ratio_tol: float = STD_RATIO_TOL,
                          key: str = 'data_preprocessor') -> List[str]:
    """Warnings when a config's mean/std do not fit the data.

    Args:
        stats (dict): From :func:`compute_dataset_stats`.
        mean (float | Sequence[float]): The config's mean (per channel; the
            channels' average is compared, the data being gray).
        std (float | Sequence[float]): The config's std.
        mean_shift_tol (float): Largest accepted ``|data mean - mean| /
            std``. Defaults to 0.5.
        std_ratio_tol (float): Largest accepted ratio of ``data std / std``
            or its inverse. Defaults to 1.5.
        key (str): The config's preprocessor key, for the ``--cfg-options``
            of the message (:func:`ussl_mm.utils.data_preprocessor_key`).
            Defaults to 'data_preprocessor' (ussl_mm's configs).

    Returns:
        list[str]: Empty when the normalisation fits.
    """
    m = float(np.mean(np.asarray(mean, np.float64)))
    s = float(np.mean(np.asarray(std, np.float64)))
    dm, ds = float(stats['mean']), float(stats['std'])
    shift, ratio = (dm - m) / s, ds / s
    msgs = []
    if abs(shift) > mean_shift_tol or not (
            1.0 / std_ratio_tol <= ratio <= std_ratio_tol):
        msgs.append(
            f'The data ({stats.get("data_root", "?")}, '
            f'{stats.get("mean_split", "train")} split) has gray mean '
            f'{dm:.2f} / std {ds:.2f}, the config normalises with '
            f'{m:.2f} / {s:.2f}: the network would see inputs with mean '
            f'{shift:+.2f} and std {ratio:.2f} instead of 0 and 1. Use the '
            'data\'s own statistics (the config this tool wrote, or '
            f'--cfg-options {key}.mean="[{dm:.2f},{dm:.2f},'
            f'{dm:.2f}]" {key}.std="[{ds:.2f},{ds:.2f},'
            f'{ds:.2f}]").')
    return msgs


def overlay_warnings(stats: dict) -> List[str]:
    """Warnings about colour frames and coloured overlays, per split."""
    msgs = []
    for split, e in stats['splits'].items():
        if e.get('num_color_images'):
            msgs.append(
                f'{split}: {e["num_color_images"]} of {e["num_images"]} '
                'images are colour; '
                f'{100 * e["overlay_pixel_fraction"]:.2f} % of their pixels '
                'are strongly coloured (Doppler, annotations, traces). '
                'LoadUSImage converts them to gray by default (a coloured '
                "pixel keeps its luminance); color_overlay='zero' or "
                "'inpaint' removes them, rgb_to_gray=False keeps colour.")
    return msgs


def _fmt(v):
    if isinstance(v, float):
        return f'{v:.6g}'
    if isinstance(v, dict):
        return '{' + ', '.join(f'{k!r}: {_fmt(x)}' for k, x in v.items()) \
            + '}'
    if isinstance(v, (list, tuple)):
        return '[' + ', '.join(_fmt(x) for x in v) + ']'
    return repr(v)


def write_stats_config(stats: dict,
                       out_file: str,
                       class_names: Optional[Sequence[str]] = None,
                       num_channels: int = 3) -> str:
    """Write the statistics as a small config to inherit.

    The file defines ``mean``/``std`` (one gray value per channel; the
    names the dataset bases use, cf. ``configs/_base_/datasets/
    knee-us_seg-256.py``), ``data_root``, ``num_classes`` and, as variables
    and comments, the sizes, class pixel frequencies and foreground
    prevalence per split.

    Args:
        stats (dict): From :func:`compute_dataset_stats`.
        out_file (str): Python config file to write.
        class_names (Sequence[str], optional): For the comments. Defaults
            to None (class indices).
        num_channels (int): Length of ``mean``/``std``. Defaults to 3.

    Returns:
        str: ``out_file``.
    """
    k = stats['num_classes']
    names = list(class_names) if class_names else [
        f'class{i}' for i in range(k)]
    m, s = stats['mean'], stats['std']
    lines = [
        f'# Dataset statistics of {stats["data_root"]}',
        '# written by tools/analysis_tools/dataset_stats.py on '
        f'{datetime.date.today().isoformat()}.',
        '# Gray levels as the model sees them (LoadUSImage: colour -> gray, '
        'replicated',
        f'# to 3 channels); mean/std over the {stats["mean_split"]} split '
        f'({stats["num_pixels"]} pixels).',
        '#',
        '# Use: as the data-root/normalisation base of your dataset config '
        '(the role',
        '# of the mean/std of configs/_base_/datasets/knee-us_*.py), e.g.',
        f"#     _base_ = ['./{osp.basename(out_file)}']",
        "#     data_preprocessor = dict(..., mean=<_base_'s mean>, "
        "std=<_base_'s std>)   (mmengine's base-variable braces)",
        '# or on the command line of tools/train.py / tools/test.py:',
        f'#     --cfg-options data_preprocessor.mean="[{m},{m},{m}]" '
        f'data_preprocessor.std="[{s},{s},{s}]"',
        '#   (model.data_preprocessor.mean/std for a config whose model '
        'holds its own',
        '#   preprocessor, e.g. one on mmseg:: bases; tools/train.py says '
        'which).',
        f'data_root = {stats["data_root"].rstrip("/") + "/"!r}',
        f'mean = {[m] * num_channels!r}',
        f'std = {[s] * num_channels!r}',
        f'num_classes = {k}',
        '',
    ]
    sizes, freq, prev = {}, {}, {}
    for split, e in stats['splits'].items():
        sz = ', '.join(f'{k_} ({v})' for k_, v in e['sizes'].items())
        lines.append(f'# {split}: {e["num_images"]} images; sizes {sz}; '
                     f'gray mean {e["mean"]} std {e["std"]}')
        sizes[split] = e['sizes']
        if 'class_pixel_frequency' in e:
            fq = ', '.join(f'{n} {f:.4f}' for n, f in zip(
                names, e['class_pixel_frequency']))
            lines.append(
                f'#   class pixel frequency: {fq}; foreground in '
                f'{e["num_with_foreground"]} of {e["num_masks"]} masks '
                f'({100 * e["foreground_prevalence"]:.1f} %)')
            freq[split] = e['class_pixel_frequency']
            prev[split] = e['foreground_prevalence']
        if e.get('num_color_images'):
            lines.append(f'#   {e["num_color_images"]} colour images, '
                         f'{100 * e["overlay_pixel_fraction"]:.2f} % of '
                         'their pixels strongly coloured')
    if stats.get('missing_splits'):
        lines.append(f'# splits not found: {stats["missing_splits"]}')
    lines += ['', f'image_sizes = {_fmt(sizes)}',
              f'class_pixel_frequency = {_fmt(freq)}',
              f'foreground_prevalence = {_fmt(prev)}', '']
    atomic_write_text(out_file, '\n'.join(lines))
    return out_file
