"""Build-time checks of a segmentation folder: one pass, every bad file.

A bad file deep in a large set used to surface only when it was first
loaded: a crash at a random iteration, or after training for a val mask.
:func:`scan_seg_folder` (listing only: suffixes, pairs, orphans) and
:func:`check_seg_contents` (headers of images, decoded masks: sizes, label
values, 0/255 exports) collect every problem in a :class:`Problems` list,
which raises one :class:`DataValidationError` naming every affected file,
grouped by kind, each kind with its fix.

Reading cost: images by their header only (Pillow reads the first bytes);
masks are decoded (label values are the point), which is cheap for the
small single-channel PNGs masks are.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log

from .image_files import (DICOM_SUFFIXES, IMG_SUFFIXES, LOSSY_SUFFIXES,
                          header, list_files, mask_to_single_channel,
                          match_suffix, read_bytes, decode_mask, stem_map)

#: Non-image files that are reported at INFO level only.
_QUIET = ('.ds_store', 'thumbs.db', 'desktop.ini')


class DataValidationError(FileNotFoundError, ValueError):
    """A data set failed its build-time checks.

    Subclasses both ``FileNotFoundError`` and ``ValueError`` so that code
    catching the errors the datasets raised before the checks were
    collected keeps working.
    """


class Problems:
    """Problems found in a data set, grouped by kind, each with its fix."""

    def __init__(self) -> None:
        self._groups: 'OrderedDict[str, dict]' = OrderedDict()

    def add(self, kind: str, item: str, fix: str) -> None:
        """Record ``item`` (a file and what is wrong with it) under
        ``kind``."""
        self._groups.setdefault(kind, dict(fix=fix, items=[]))['items'].append(
            item)

    def __bool__(self) -> bool:
        return bool(self._groups)

    def __len__(self) -> int:
        return sum(len(g['items']) for g in self._groups.values())

    def kinds(self) -> List[str]:
        return list(self._groups)

    def format(self, title: str) -> str:
        lines = [f'{title}: {len(self)} problem(s). Every affected file is '
                 'listed; fix them and build again.']
        for kind, g in self._groups.items():
            lines.append(f'* {kind} ({len(g["items"])}). Fix: {g["fix"]}')
            lines += [f'    {it}' for it in g['items']]
        return '\n'.join(lines)

    def raise_if_any(self, title: str) -> None:
        if self:
            raise DataValidationError(self.format(title))


def _warn(msg: str) -> None:
    print_log(msg, logger='current', level=30)


def _report_unused(folder: str, files: Sequence[str], what: str) -> None:
    """Log (never drop silently) files that are not used."""
    if not files:
        return
    quiet = [f for f in files if osp.basename(f).lower() in _QUIET]
    loud = [f for f in files if f not in quiet]
    if loud:
        _warn(f'{folder}: {len(loud)} file(s) are not {what} and are not '
              f'used: {", ".join(loud[:20])}'
              f'{" ..." if len(loud) > 20 else ""}')
    if quiet:
        print_log(f'{folder}: ignored {len(quiet)} system file(s) '
                  f'({", ".join(sorted(set(osp.basename(q) for q in quiet)))}'
                  ')', logger='current')


def scan_seg_folder(img_dir: str,
                    ann_dir: Optional[str],
                    img_suffixes: Sequence[str] = IMG_SUFFIXES,
                    seg_suffixes: Sequence[str] = ('.png', ),
                    stems: Optional[Sequence[str]] = None,
                    split_file: str = '',
                    problems: Optional[Problems] = None
                    ) -> Tuple[List[Tuple[str, str, Optional[str]]],
                               Problems]:
    """Pair images with masks by stem, from the folder listings alone.

    Args:
        img_dir (str): Image folder (searched recursively).
        ann_dir (str, optional): Mask folder; None for images only.
        img_suffixes (Sequence[str]): Lower-case image suffixes accepted.
            Defaults to every common image suffix.
        seg_suffixes (Sequence[str]): Lower-case mask suffixes accepted.
            Defaults to ('.png', ).
        stems (Sequence[str], optional): The stems to select (a split file's
            lines, in order); None selects every image, sorted by path.
        split_file (str): Where ``stems`` come from, for the messages.
            Defaults to ''.
        problems (Problems, optional): List to add to. Defaults to None (a
            new one).

    Returns:
        tuple: ``(pairs, problems)`` with pairs ``(stem, img_path,
        seg_path or None)``; a missing mask gives a problem, not a pair.
    """
    problems = Problems() if problems is None else problems
    files = list_files(img_dir)
    images, dup, others = stem_map(files, img_suffixes)
    for stem, paths in sorted(dup.items()):
        problems.add(
            'several images with one stem',
            ', '.join(osp.join(img_dir, p) for p in paths),
            'keep one file per stem (masks and split files pair by stem).')
    unused, other_images = [], set()
    for f in others:
        suf = match_suffix(osp.basename(f), IMG_SUFFIXES)
        if suf:
            other_images.add(f[:-len(suf)])
            problems.add(
                'image with a suffix outside img_suffix',
                osp.join(img_dir, f),
                f'add its suffix to the dataset\'s img_suffix (now '
                f'{tuple(img_suffixes)}; None accepts {IMG_SUFFIXES} in any '
                'case), or move the file out of the folder.')
        elif match_suffix(osp.basename(f), DICOM_SUFFIXES):
            problems.add(
                'DICOM file in an image folder',
                osp.join(img_dir, f),
                'convert DICOM to PNG frames with tools/dataset_converters/'
                'dicom_to_layout.py (it also writes pixel_spacing.csv).')
        else:
            unused.append(f)
    _report_unused(img_dir, unused, f'images ({", ".join(img_suffixes)})')

    masks: Dict[str, str] = {}
    if ann_dir is not None:
        mfiles = list_files(ann_dir) if osp.isdir(ann_dir) else []
        masks, mdup, mothers = stem_map(mfiles, seg_suffixes)
        for stem, paths in sorted(mdup.items()):
            problems.add('several masks with one stem',
                         ', '.join(osp.join(ann_dir, p) for p in paths),
                         'keep one mask per image stem.')
        munused = []
        for f in mothers:
            s = match_suffix(osp.basename(f), IMG_SUFFIXES)
            if s and s.lower() in LOSSY_SUFFIXES:
                problems.add(
                    'JPEG mask', osp.join(ann_dir, f),
                    'JPEG compression invents label values at every edge; '
                    'export masks as PNG (lossless).')
            elif s:
                problems.add(
                    'mask with a suffix outside seg_map_suffix',
                    osp.join(ann_dir, f),
                    f"set the dataset's seg_map_suffix to its suffix (now "
                    f'{tuple(seg_suffixes)}), or convert it to PNG.')
            else:
                munused.append(f)
        _report_unused(ann_dir, munused, f'masks ({", ".join(seg_suffixes)})')
        # a mask whose image has a refused suffix is not an orphan: that
        # image is already reported
        for stem in sorted(set(masks) - set(images) - other_images):
            problems.add(
                'mask without an image (orphan)', osp.join(ann_dir,
                                                           masks[stem]),
                'its image is missing or named differently; add or rename '
                'the image (same stem), or delete the mask.')

    if stems is None:
        selected = sorted(images, key=lambda s: images[s])
    else:
        selected, missing = [], []
        for line in stems:
            s = line
            if s not in images:
                suf = match_suffix(osp.basename(s), IMG_SUFFIXES)
                if suf and s[:-len(suf)] in images:
                    s = s[:-len(suf)]
            if s in images:
                selected.append(s)
            else:
                missing.append(line)
        for line in missing:
            problems.add(
                f'split file {split_file} names an image that does not '
                'exist',
                f'{line} (no {line}.* in {img_dir})',
                'regenerate the splits for this data root (tools/'
                'dataset_converters/make_label_fraction_splits.py), or fix '
                'the line.')
    pairs = []
    for s in selected:
        img = osp.join(img_dir, images[s])
        if ann_dir is None:
            pairs.append((s, img, None))
        elif s in masks:
            pairs.append((s, img, osp.join(ann_dir, masks[s])))
        else:
            problems.add(
                'image without a mask',
                f'{img} (expected {osp.join(ann_dir, s + seg_suffixes[0])})',
                'every image needs a mask with the same stem in ann_dir; '
                'add it, or list only annotated images in a split file '
                '(ann_file).')
    return pairs, problems


def _mapping_hint(values: Sequence[int]) -> str:
    vals = sorted(int(v) for v in values)
    return 'mask_values={' + ', '.join(f'{v}: {i}'
                                      for i, v in enumerate(vals)) + '}'


def normalise_mask_values(mask_values) -> Optional[Dict[int, int]]:
    """``{raw value: class index}`` with int keys and values.

    Accepts a dict (keys may be strings, as from JSON), the string forms
    ``'{0: 0, 255: 1}'`` and ``'0:0,255:1'``, and a list of ``'raw:class'``
    strings, which is what ``--cfg-options ...mask_values=0:0,255:1`` gives
    (mmengine splits option values at commas). None or empty gives None.
    """
    if mask_values is None or len(mask_values) == 0:
        return None
    orig = mask_values
    if isinstance(mask_values, (list, tuple)) and all(
            isinstance(m, str) for m in mask_values):
        mask_values = ','.join(mask_values)
    if isinstance(mask_values, str):
        text = mask_values.strip().strip('{}[]() ')
        pairs = {}
        for item in filter(None, (t.strip() for t in text.split(','))):
            raw, sep, cls = item.partition(':')
            if not sep:
                raise ValueError(
                    f'mask_values={orig!r}: expected raw:class pairs, e.g. '
                    '{0: 0, 255: 1} or 0:0,255:1.')
            pairs[raw.strip()] = cls.strip()
        mask_values = pairs
    try:
        out = {int(k): int(v) for k, v in dict(mask_values).items()}
    except (TypeError, ValueError) as e:
        raise ValueError(
            f'mask_values must map raw mask values to class indices, e.g. '
            f'{{0: 0, 255: 1}}; got {orig!r}.') from e
    bad = {k: v for k, v in out.items() if not (0 <= k and 0 <= v <= 255)}
    if bad:
        raise ValueError(f'mask_values entries {bad} are out of range: raw '
                         'values are >= 0, class indices 0..255.')
    return out or None


def apply_mask_values(seg: np.ndarray, mapping: Optional[dict]) -> np.ndarray:
    """Map raw mask values to class indices (unlisted values unchanged)."""
    if not mapping:
        return seg
    out = seg.copy()
    for old, new in mapping.items():
        out[seg == int(old)] = int(new)
    return out


def check_seg_contents(pairs: Sequence[Tuple[str, str, Optional[str]]],
                       num_classes: Optional[int] = None,
                       ignore_index: int = 255,
                       mask_values: Optional[dict] = None,
                       allow_16bit: bool = False,
                       problems: Optional[Problems] = None,
                       check_images: bool = True) -> Problems:
    """Check every image header and every mask of ``pairs``.

    Finds: empty (0-byte) and unreadable files, 16-bit images the loader
    would refuse, masks that are colour renderings, masks of another size
    than their image, label values outside ``0..num_classes-1`` (after
    ``mask_values``) other than ``ignore_index``, and a set exported as
    0/255 (every foreground pixel is 255, which mmseg reads as *ignore*: the
    model then trains on background only and reports mIoU 100).

    Args:
        pairs (Sequence[tuple]): ``(stem, img_path, seg_path or None)``.
        num_classes (int, optional): Number of classes; None checks only
            the 0/255 pattern. Defaults to None.
        ignore_index (int): Defaults to 255.
        mask_values (dict, optional): Raw value -> class index, applied
            before the value checks. Defaults to None.
        allow_16bit (bool): Whether the loader converts 16-bit images.
            Defaults to False.
        problems (Problems, optional): List to add to. Defaults to None.
        check_images (bool): Read image headers. Defaults to True.

    Returns:
        Problems: The list (raise with :meth:`Problems.raise_if_any`).
    """
    problems = Problems() if problems is None else problems
    fix_empty = ('an interrupted copy or export: re-export the file, or '
                 'delete the pair and remove its stem from the split files.')
    ignore_only, with_class, raw_union = [], 0, set()
    value_bad = []
    for stem, img_path, seg_path in pairs:
        ihead = None
        if check_images:
            if osp.getsize(img_path) == 0:
                problems.add('empty image (0 bytes)', img_path, fix_empty)
            else:
                try:
                    ihead = header(img_path)
                except ValueError as e:
                    problems.add('unreadable image', str(e),
                                 'the file is corrupt or not an image; '
                                 're-export it as PNG/JPG or remove the '
                                 'pair.')
            if ihead is not None and ihead['bits'] > 8 and not (
                    allow_16bit and ihead['bits'] == 16):
                problems.add(
                    f'{ihead["bits"]}-bit image', f'{img_path} (mode '
                    f'{ihead["mode"]})',
                    "set LoadUSImage(convert_16bit='minmax') or "
                    "convert_16bit='shift' in the pipeline, or export "
                    '8-bit images.' if ihead['bits'] == 16 else
                    'export 8-bit (or 16-bit) images.')
        if seg_path is None:
            continue
        if osp.getsize(seg_path) == 0:
            problems.add('empty mask (0 bytes)', seg_path, fix_empty)
            continue
        try:
            seg = mask_to_single_channel(
                decode_mask(read_bytes(seg_path, 'Mask'), seg_path),
                seg_path)
        except ValueError as e:
            problems.add('unreadable or colour mask', str(e),
                         'masks are single-channel label images (or palette '
                         'PNGs); re-export the mask.')
            continue
        if ihead is not None and seg.shape[:2] != (ihead['height'],
                                                   ihead['width']):
            problems.add(
                'mask size differs from its image',
                f'{seg_path} is {seg.shape[0]}x{seg.shape[1]}, image '
                f'{img_path} is {ihead["height"]}x{ihead["width"]}',
                'masks must have the size of their image; re-export the '
                'mask at the image size (nearest-neighbour if resampled).')
            continue
        if seg.dtype == np.uint8:
            raw = np.flatnonzero(np.bincount(seg.ravel(), minlength=256))
        else:
            raw = np.unique(seg)
        raw_union.update(int(v) for v in raw)
        vals = set(int(v) for v in raw)
        if mask_values:
            vals = {int(mask_values.get(v, v)) for v in vals}
        classes = {v for v in vals if v != 0 and v != ignore_index}
        if num_classes is not None:
            bad = sorted(v for v in classes if v >= num_classes or v < 0)
            if bad:
                value_bad.append((seg_path, sorted(int(v) for v in raw),
                                  bad))
                continue
        if classes:
            with_class += 1
        elif ignore_index in vals:
            ignore_only.append((seg_path, sorted(int(v) for v in raw)))
    if value_bad:
        hint = ''
        if num_classes is not None and len(raw_union) <= num_classes + (
                1 if ignore_index in raw_union else 0):
            hint = (f' If these are your labels in another coding, map them '
                    f'with the dataset arg {_mapping_hint(raw_union)} '
                    '(raw value: class index).')
        for path, raw, bad in value_bad:
            problems.add(
                f'mask values outside the {num_classes} classes',
                f'{path}: values {raw}, outside: {bad}',
                f'labels are 0..{num_classes - 1} ({ignore_index} = ignore). '
                "Fix the masks, or the dataset's metainfo classes." + hint)
    if ignore_only and with_class == 0:
        # every labelled pixel is the ignore value: a 0/255 export
        for path, raw in ignore_only:
            problems.add(
                f'0/{ignore_index} mask (foreground = ignore)',
                f'{path}: values {raw}',
                f'{ignore_index} is the ignore index, so these masks hold no '
                'class pixel and training would learn background only '
                '(mIoU 100, IoU nan). For binary masks exported as 0/255, '
                'set mask_values={0: 0, 255: 1} on the dataset (e.g. '
                '--cfg-options train_dataloader.dataset.mask_values='
                '0:0,255:1, the same for val/test) or in '
                'LoadUSAnnotations.')
    elif with_class == 0 and not value_bad and any(sp for _, _, sp in pairs):
        _warn(f'None of the {len(pairs)} masks holds a class pixel (all '
              'background): check the masks, or mask_values.')
    if ignore_only and with_class:
        names = [p for p, _ in ignore_only]
        _warn(f'{len(ignore_only)} of {with_class + len(ignore_only)} masks '
              f'hold only background and the ignore value {ignore_index} '
              f'(no class pixel); their {ignore_index} pixels are ignored in '
              'training and evaluation. If they are 0/255 exports, fix them '
              f'or set mask_values: {", ".join(names[:20])}'
              f'{" ..." if len(names) > 20 else ""}')
    return problems
