# Copyright (c) ussl_mm contributors. All rights reserved.
"""Build the NIfTI layout of the real-MRI worked example from MRIcron's
Colin27 T1 template and AAL atlas (Debian package ``mricron-data``).

Source (``apt-get install mricron-data``)::

    /usr/share/mricron/templates/ch2.nii.gz   Colin27 T1, 181x217x181, uint8
    /usr/share/mricron/templates/aal.nii.gz   AAL atlas, same grid

Output (the layout of :class:`ussl_mm.datasets.NiftiMRIDataset`)::

    OUT/img_dir/train/colin27.nii.gz          the T1 volume, as read
    OUT/img_dir/train/colin27_mirror.nii.gz   its left-right mirror
    OUT/img_dir/{val,test}/colin27.nii.gz     the T1 volume again
    OUT/ann_dir/<same names>                  uint8 class maps 0..K
    OUT/splits/train_{50,100}pct.txt + manifest.json   (per volume)
    OUT/classes.json                          class names and AAL labels

Classes are anatomical, not per hemisphere: ``caudate`` = AAL 71 + 72
(Caudate_L, Caudate_R), ``putamen`` = 73 + 74, ``thalamus`` = 77 + 78,
``background`` = every other voxel. A left-right mirror moves AAL's left
caudate to the right side of the image; with one class for both sides the
mirrored label is still "caudate", which it would not be with AAL's
per-side labels. The mirror flips the array along the axis that the
affine says is left-right and keeps the affine: a second, mirror-image
subject in the same space (Colin27's grid is centred on x = 0, so this is
the mirror about the mid-sagittal plane).

PROTOCOL WARNING: there is one subject. The test volume is the training
volume (train holds it and its mirror), so test scores measure how well a
model fits this brain, not how it generalises to another one. They are
optimistic by construction; use the example to check that the pipeline
learns small structures, not to report accuracy.

Example::

    python tools/dataset_converters/mricron_to_layout.py --out data/mri_colin27
"""
import argparse
import json
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, Sequence, Tuple

import numpy as np

DEFAULT_TEMPLATES = '/usr/share/mricron/templates'
# class name -> AAL labels (left, right), anatomical names as in AAL's
# aal.nii.txt: 71 Caudate_L, 72 Caudate_R, 73 Putamen_L, 74 Putamen_R,
# 77 Thalamus_L, 78 Thalamus_R.
DEFAULT_CLASSES = OrderedDict(
    caudate=(71, 72), putamen=(73, 74), thalamus=(77, 78))
SUBJECT = 'colin27'


def _load(path: str, what: str):
    import nibabel as nib
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} not found: {path}. Install it with `apt-get install '
            'mricron-data` (Debian/Ubuntu), or pass --templates DIR / '
            '--image / --atlas pointing to your copy.')
    img = nib.load(path)
    if len(img.shape) != 3:
        raise ValueError(f'{what} {path} has shape {img.shape}; a 3-D '
                         'volume is expected.')
    return img


def lr_axis(affine: np.ndarray) -> int:
    """Array axis that runs left-right in the affine's world space.

    Args:
        affine (np.ndarray): 4x4 voxel-to-world affine.

    Returns:
        int: 0, 1 or 2.
    """
    import nibabel as nib
    codes = nib.aff2axcodes(affine)
    for axis, code in enumerate(codes):
        if code in ('L', 'R'):
            return axis
    raise ValueError(f'No left-right axis in affine orientation {codes}.')


def class_map(atlas: np.ndarray,
              classes: Dict[str, Sequence[int]]) -> np.ndarray:
    """Map atlas labels to class indices (1..K in ``classes`` order, 0 for
    every label not listed).

    Args:
        atlas (np.ndarray): Integer atlas labels.
        classes (dict[str, Sequence[int]]): Class name -> atlas labels.

    Returns:
        np.ndarray: uint8 class map of the atlas's shape.

    Raises:
        ValueError: A label is listed for two classes, or a class has no
            voxel in the atlas.
    """
    out = np.zeros(atlas.shape, np.uint8)
    seen = {}
    for index, (name, labels) in enumerate(classes.items(), start=1):
        for label in labels:
            if label in seen:
                raise ValueError(f'Atlas label {label} is listed for both '
                                 f'{seen[label]!r} and {name!r}.')
            seen[label] = name
        hit = np.isin(atlas, list(labels))
        if not hit.any():
            raise ValueError(
                f'Class {name!r}: none of the atlas labels {list(labels)} '
                'occurs in the atlas. Check the label numbers against the '
                "atlas's label table (aal.nii.txt).")
        out[hit] = index
    return out


def convert(image_path: str,
            atlas_path: str,
            out: str,
            classes: Dict[str, Sequence[int]] = DEFAULT_CLASSES,
            subject: str = SUBJECT,
            seed: int = 0) -> Dict[str, Tuple[int, ...]]:
    """Write the layout described in the module docstring.

    Args:
        image_path (str): The T1 volume.
        atlas_path (str): The atlas on the same grid.
        out (str): Output data root.
        classes (dict[str, Sequence[int]]): Class name -> atlas labels.
            Defaults to :data:`DEFAULT_CLASSES`.
        subject (str): Volume id of the subject. Defaults to 'colin27'.
        seed (int): Seed of the (per-volume) label-fraction splits.
            Defaults to 0.

    Returns:
        dict: ``classes`` (names, background first) and, per class name,
        the number of voxels in the training volume.
    """
    import nibabel as nib

    from ussl_mm.datasets.splits import (nested_fraction_splits,
                                         write_fraction_splits)
    img = _load(image_path, 'T1 volume')
    atl = _load(atlas_path, 'Atlas')
    if img.shape != atl.shape:
        raise ValueError(
            f'Atlas {atlas_path} has shape {atl.shape} but the volume '
            f'{image_path} has {img.shape}; they must share the voxel grid.')
    if not np.allclose(img.affine, atl.affine, atol=1e-3):
        raise ValueError(
            f'Atlas {atlas_path} and volume {image_path} have different '
            f'affines:\n{atl.affine}\nvs\n{img.affine}')
    vol = np.asanyarray(img.dataobj)
    labels = class_map(np.rint(np.asanyarray(atl.dataobj)).astype(np.int64),
                       classes)
    axis = lr_axis(img.affine)
    mirror = subject + '_mirror'
    volumes = {
        'train': [(subject, vol, labels),
                  (mirror, np.flip(vol, axis), np.flip(labels, axis))],
        'val': [(subject, vol, labels)],
        'test': [(subject, vol, labels)],
    }
    for split, items in volumes.items():
        for folder in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(out, folder, split), exist_ok=True)
        for vid, v, lab in items:
            nib.save(
                nib.Nifti1Image(np.ascontiguousarray(v), img.affine,
                                img.header),
                osp.join(out, 'img_dir', split, vid + '.nii.gz'))
            ann = nib.Nifti1Image(np.ascontiguousarray(lab), img.affine)
            ann.set_data_dtype(np.uint8)
            nib.save(ann, osp.join(out, 'ann_dir', split, vid + '.nii.gz'))
    train_ids = [vid for vid, _, _ in volumes['train']]
    splits = nested_fraction_splits(
        train_ids, [True] * len(train_ids), (50, 100), seed=seed)
    write_fraction_splits(
        osp.join(out, 'splits'), splits,
        manifest_extra=dict(seed=seed, unit='volume',
                            source='mricron_to_layout.py'),
        names=train_ids, positive=[True] * len(train_ids))
    names = ['background'] + list(classes)
    info = OrderedDict(
        classes=names,
        atlas_labels={name: list(lab) for name, lab in classes.items()},
        voxels={name: int((labels == i).sum())
                for i, name in enumerate(names)},
        image=osp.abspath(image_path),
        atlas=osp.abspath(atlas_path),
        mirror_axis=axis,
        protocol='one subject: test = val = a training volume '
                 '(optimistic by construction)')
    with open(osp.join(out, 'classes.json'), 'w', encoding='utf-8') as f:
        json.dump(info, f, indent=1)
    return info


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--templates', default=DEFAULT_TEMPLATES,
                        help='folder of ch2.nii.gz and aal.nii.gz')
    parser.add_argument('--image', default=None,
                        help='T1 volume (default TEMPLATES/ch2.nii.gz)')
    parser.add_argument('--atlas', default=None,
                        help='atlas (default TEMPLATES/aal.nii.gz)')
    parser.add_argument('--out', default='data/mri_colin27')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    image = args.image or osp.join(args.templates, 'ch2.nii.gz')
    atlas = args.atlas or osp.join(args.templates, 'aal.nii.gz')
    info = convert(image, atlas, args.out, seed=args.seed)
    total = sum(info['voxels'].values())
    print(f'Wrote {args.out}: train = {SUBJECT} + its left-right mirror '
          f'(axis {info["mirror_axis"]}), val = test = {SUBJECT}. Classes: '
          + ', '.join(f'{n} {100 * v / total:.2f} %'
                      for n, v in info['voxels'].items())
          + '. Test = a training volume: scores are optimistic.')


if __name__ == '__main__':
    main()
