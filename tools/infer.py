# Copyright (c) ussl_mm contributors. Adapted from mmseg demo/image_demo.py.
"""Segment new images with a fine-tuned checkpoint (no masks needed).

INPUT is one image or a folder of images (``.png``, ``.jpg``/``.jpeg``,
``.bmp``, ``.tif``/``.tiff`` in any case, single-frame DICOM). Sub-folders
are searched with ``--recursive`` (the masks then mirror the folder tree);
without it the sub-folders skipped are listed. Each image is read by the
config's own test pipeline (``LoadUSImage``: gray replicated to 3 channels,
the config's mean/std) at its native size, as ``tools/test.py`` scores it.
For each image ``<stem>`` it writes

* ``OUT_DIR/<stem>.png`` (``OUT_DIR/<sub-folder>/<stem>.png`` with
  ``--recursive``): the label mask, uint8 class indices
  (0 = background, 1 = the first foreground class, ...), the image's size;
* ``OUT_DIR/overlay/<stem>.png`` with ``--overlay``: the image with the
  classes in the palette of the checkpoint's dataset (mmseg's
  ``show_result_pyplot``).

It prints one line per image with the area (pixels) of every foreground
class and a summary. The model comes from
:func:`ussl_mm.apis.init_segmentor` (mmseg's ``init_model`` plus the
Runner's data preprocessor and strict checkpoint loading), and each image
goes through mmseg's ``inference_model``.

Example::

    python tools/infer.py \\
        configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py \\
        work_dirs/fcn_r18-d8_1xb8-250i_knee-us-128_cpu/iter_250.pth \\
        data/new_scans --out-dir work_dirs/new_scans_pred --overlay
"""
import argparse
import os
import os.path as osp
import re
import warnings
from collections import Counter
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.config import DictAction

from ussl_mm.datasets.image_files import (DICOM_SUFFIXES, IMG_SUFFIXES,
                                          is_dicom_file, list_files,
                                          match_suffix)
from ussl_mm.utils.atomic import atomic_write_bytes

NIFTI_SUFFIXES = ('.nii', '.nii.gz')
_SUPPORTED = ', '.join(IMG_SUFFIXES + DICOM_SUFFIXES)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Segment new images with a fine-tuned ussl_mm model')
    parser.add_argument('config', help='the fine-tuning config')
    parser.add_argument('checkpoint', help='the fine-tuned checkpoint')
    parser.add_argument(
        'input', help=f'an image or a folder of images ({_SUPPORTED})')
    parser.add_argument(
        '--out-dir',
        help='where the masks go. Defaults to <work_dir>/infer, i.e. '
        'work_dirs/<config name>/infer')
    parser.add_argument(
        '--device', default='cpu', help="'cpu', 'cuda:0', ... Defaults to "
        'cpu')
    parser.add_argument(
        '--recursive', action='store_true',
        help='also segment the images in sub-folders of INPUT; the masks '
        'mirror the folder tree under OUT_DIR. Without it, sub-folders are '
        'skipped and listed')
    parser.add_argument(
        '--overlay', action='store_true',
        help='also write OUT_DIR/overlay/<stem>.png: the image with the '
        'predicted classes in the dataset palette')
    parser.add_argument(
        '--opacity', type=float, default=0.5,
        help='opacity of the class colours in overlays. Defaults to 0.5')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings (as tools/test.py), e.g. '
        'data_preprocessor.test_cfg.size_divisor=16')
    return parser.parse_args(argv)


def _stem(name: str) -> str:
    suffix = match_suffix(name, IMG_SUFFIXES + DICOM_SUFFIXES)
    return name[:-len(suffix)] if suffix else name


def _is_image(path: str) -> bool:
    return bool(match_suffix(osp.basename(path), IMG_SUFFIXES)) or (
        is_dicom_file(path))


def _nifti_error(path: str) -> ValueError:
    return ValueError(
        f'{path}: NIfTI volumes are not supported. tools/infer.py segments '
        '2-D images through a config whose test pipeline starts with '
        'LoadUSImage; the NIfTI configs slice volumes inside their dataset, '
        'and tools/dataset_converters/ has no NIfTI-to-PNG converter. Export '
        'the slices as 8-bit PNG and give their folder.')


def _check_dicom_frames(path: str) -> None:
    from ussl_mm.datasets.dicom import dicom_num_frames, read_dicom_header
    n = dicom_num_frames(read_dicom_header(path))
    if n > 1:
        raise ValueError(
            f'{path} is a DICOM cine loop of {n} frames; LoadUSImage reads '
            'one frame. Convert it into PNG frames first: python tools/'
            'dataset_converters/dicom_to_layout.py DICOM_DIR OUT_ROOT '
            '--frame-step 5, then segment OUT_ROOT/img_dir/train.')


def list_inputs(path: str, recursive: bool = False) -> Dict[str, object]:
    """The images of INPUT and what was skipped.

    Args:
        path (str): An image file or a folder.
        recursive (bool): Search the folder's sub-folders too. Defaults to
            False.

    Returns:
        dict: ``images`` (sorted paths), ``skipped`` (the other files, as
        paths relative to the folder) and ``skipped_dirs`` (the sub-folders
        not searched, relative; empty with ``recursive``).

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If it is (or the folder holds only) NIfTI, a multi-frame
            DICOM or files of other types, if the folder holds no image, or
            two images share a stem (their masks would overwrite each
            other).
    """
    if not osp.exists(path):
        raise FileNotFoundError(
            f'Input {path} does not exist (working directory '
            f'{os.getcwd()}). Give an image file or a folder of images.')
    if osp.isfile(path):
        if match_suffix(osp.basename(path), NIFTI_SUFFIXES):
            raise _nifti_error(path)
        if not _is_image(path):
            raise ValueError(
                f'Input {path} is not an image file tools/infer.py reads '
                f'({_SUPPORTED}, or DICOM with the DICM marker).')
        images, skipped, skipped_dirs = [path], [], []
    else:
        names = list_files(path, recursive=recursive)
        skipped_dirs = [] if recursive else sorted(
            n for n in os.listdir(path) if osp.isdir(osp.join(path, n)))
        images = [osp.join(path, n) for n in names
                  if _is_image(osp.join(path, n))]
        chosen = set(images)
        skipped = [n for n in names if osp.join(path, n) not in chosen]
        if not images:
            nifti = [n for n in skipped if match_suffix(n, NIFTI_SUFFIXES)]
            if nifti:
                raise _nifti_error(osp.join(path, nifti[0]))
            where = (f' Its sub-folders {skipped_dirs[:5]} were not '
                     'searched: give one of them, or add --recursive.'
                     if skipped_dirs else '')
            raise ValueError(
                f'Input folder {path} holds no image ({_SUPPORTED}); it has '
                f'{len(names)} other files (first: {skipped[:5]}).{where} '
                'Give the folder of the images itself, e.g. '
                'data/my_us/img_dir/test.')
        twins = [s for s, n in Counter(
            _out_stem(path, p) for p in images).items() if n > 1]
        if twins:
            raise ValueError(
                f'Input folder {path}: images {twins[:5]} exist with several '
                'suffixes (e.g. a.png and a.jpg); their masks <stem>.png '
                'would overwrite each other. Keep one file per stem.')
    for p in images:
        if is_dicom_file(p):
            _check_dicom_frames(p)
    return dict(images=images, skipped=skipped, skipped_dirs=skipped_dirs)


def _out_stem(folder: str, path: str) -> str:
    """The mask name of ``path`` without ``.png``: its stem, under its
    sub-folder of ``folder`` (``a/b/x.png`` -> ``a/b/x``)."""
    rel = osp.relpath(path, folder)
    return osp.join(osp.dirname(rel), _stem(osp.basename(rel)))


def _segment(model, path: str):
    from mmseg.apis import inference_model
    try:
        return inference_model(model, path)
    except AssertionError as e:
        rate = re.search(r'downsample rate (\d+)', str(e))
        if not rate:
            raise
        raise ValueError(
            f'Image {path}: {e} Pad it at test time with --cfg-options '
            f'data_preprocessor.test_cfg.size_divisor={rate.group(1)} (the '
            'padding is removed from the mask), or resize your images.'
        ) from e


def _image_rgb(model, path: str) -> np.ndarray:
    """The image as the model's loader reads it, RGB, for the overlay."""
    from mmengine.dataset import Compose
    img = Compose([model.cfg.test_pipeline[0]])(dict(img_path=path))['img']
    return np.ascontiguousarray(img[..., ::-1])


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the command line (``sys.argv[1:]`` if None).

    Returns:
        dict: ``out_dir``, ``skipped`` and ``images``: one dict per image
        with ``image``, ``mask``, ``overlay`` (or None), ``shape`` and
        ``area`` (foreground class name -> pixels).
    """
    args = parse_args(argv)
    found = list_inputs(args.input, recursive=args.recursive)
    from mmseg.apis import show_result_pyplot

    from ussl_mm.apis import init_segmentor
    model = init_segmentor(args.config, args.checkpoint, args.device,
                           args.cfg_options)
    classes = list(model.dataset_meta['classes'])
    if len(classes) > 256:
        raise ValueError(f'{len(classes)} classes do not fit uint8 masks.')
    out_dir = args.out_dir or osp.join(model.cfg.work_dir, 'infer')
    in_dir = args.input if osp.isdir(args.input) else osp.dirname(
        osp.abspath(args.input))
    if osp.realpath(out_dir) == osp.realpath(in_dir):
        raise ValueError(
            f'--out-dir {out_dir} is the input folder: the masks '
            '<stem>.png would overwrite the images. Give another folder.')
    if args.recursive and osp.realpath(out_dir).startswith(
            osp.join(osp.realpath(in_dir), '')):
        raise ValueError(
            f'--out-dir {out_dir} is inside the input folder {in_dir} and '
            '--recursive searches it: the masks of one run would be '
            'segmented as images by the next. Give a folder outside it.')
    os.makedirs(out_dir, exist_ok=True)
    if args.overlay:
        os.makedirs(osp.join(out_dir, 'overlay'), exist_ok=True)
    rows = []
    for path in found['images']:
        result = _segment(model, path)
        pred = result.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
        stem = _out_stem(in_dir, path)
        mask = osp.join(out_dir, stem + '.png')
        ok, png = cv2.imencode('.png', pred)
        if not ok:
            raise OSError(f'Could not encode the mask {mask} as PNG.')
        atomic_write_bytes(mask, png.tobytes())
        overlay = None
        if args.overlay:
            overlay = osp.join(out_dir, 'overlay', stem + '.png')
            os.makedirs(osp.dirname(overlay), exist_ok=True)
            with warnings.catch_warnings():
                # show_result_pyplot asks for a LocalVisBackend without a
                # save_dir; out_file is what saves the image.
                warnings.filterwarnings('ignore', message='Failed to add')
                show_result_pyplot(
                    model, _image_rgb(model, path), result,
                    opacity=args.opacity, draw_gt=False, show=False,
                    with_labels=False, out_file=overlay)
        counts = np.bincount(pred.ravel(), minlength=len(classes))
        area = {classes[c]: int(counts[c]) for c in range(1, len(classes))}
        rows.append(dict(image=path, mask=mask, overlay=overlay,
                         shape=pred.shape, area=area))
        print(f'{osp.relpath(path, in_dir)}: {pred.shape[0]}x'
              f'{pred.shape[1]} px; '
              + ', '.join(f'{k} {v} px' for k, v in area.items()),
              flush=True)
    _print_summary(rows, classes, out_dir, found['skipped'], args.overlay,
                   found['skipped_dirs'])
    return dict(out_dir=out_dir, images=rows, skipped=found['skipped'],
                skipped_dirs=found['skipped_dirs'])


def _print_summary(rows: List[dict], classes: List[str], out_dir: str,
                   skipped: List[str], overlay: bool,
                   skipped_dirs: Sequence[str] = ()) -> None:
    n = len(rows)
    print(f'Segmented {n} image(s) into {out_dir}: masks <stem>.png, uint8 '
          f'class indices 0..{len(classes) - 1} '
          f'({", ".join(f"{i}={c}" for i, c in enumerate(classes))})'
          + ('; overlays in overlay/' if overlay else '') + '.')
    for c in classes[1:]:
        areas = [r['area'][c] for r in rows]
        print(f'  {c}: present in {sum(a > 0 for a in areas)}/{n} images, '
              f'mean {np.mean(areas):.1f} px, max {max(areas)} px')
    if skipped_dirs:
        print(f'  skipped {len(skipped_dirs)} sub-folder(s), not searched '
              f'(add --recursive to segment their images too): '
              f'{list(skipped_dirs[:10])}')
    if skipped:
        print(f'  skipped {len(skipped)} non-image file(s): {skipped[:5]}')


if __name__ == '__main__':
    main()
