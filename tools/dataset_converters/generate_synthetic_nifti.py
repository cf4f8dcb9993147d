# Copyright (c) ussl_mm contributors. All rights reserved.
"""Write a small synthetic MRI- or CT-like NIfTI set with masks.

For demos, tests and CPU smoke runs of the NIfTI datasets
(``NiftiMRIDataset`` / ``NiftiCTDataset``); it is not a substitute for real
data. Each volume holds a textured body with an ellipsoidal foreground
structure that spans only part of the slices (so some slices have no
foreground). Layout::

    OUT/img_dir/{train,val,test}/vol_XXX.nii.gz   (MRI: arbitrary units,
                                                   CT: Hounsfield units)
    OUT/ann_dir/{train,val,test}/vol_XXX.nii.gz   (uint8, 1 = foreground)
    OUT/splits/train_{pct}pct.txt + manifest.json (per-volume, nested)

Example::

    python tools/dataset_converters/generate_synthetic_nifti.py \
        --out data/nifti_mri --modality mri
"""
import argparse
import os
import os.path as osp

import nibabel as nib
import numpy as np

from ussl_mm.datasets.splits import (nested_fraction_splits,
                                     write_fraction_splits)


def make_volume(rng: np.random.Generator, size: int, depth: int,
                modality: str):
    """One (volume, mask) pair of shape (size, size, depth)."""
    x, y, z = np.meshgrid(
        np.linspace(-1, 1, size), np.linspace(-1, 1, size),
        np.linspace(-1, 1, depth), indexing='ij')
    body = (x / 0.9)**2 + (y / 0.8)**2 <= 1
    c = rng.uniform(-0.25, 0.25, 3) * np.array([1, 1, 0.5])
    r = rng.uniform([0.2, 0.15, 0.35], [0.35, 0.3, 0.6])
    mask = (((x - c[0]) / r[0])**2 + ((y - c[1]) / r[1])**2 +
            ((z - c[2]) / r[2])**2) <= 1
    texture = np.sin(6 * x + rng.uniform(0, 6)) * np.cos(5 * y) * 0.5
    noise = rng.normal(0, 1, x.shape)
    if modality == 'mri':
        vol = np.where(body, 300 + 60 * texture, 10.0)
        vol = np.where(mask, 650 + 40 * texture, vol)
        vol = vol * rng.uniform(0.7, 1.4) + 25 * noise  # scanner gain
    else:
        bone = body & ((x**2 + (y + 0.55)**2) <= 0.04)
        vol = np.where(body, 20 + 30 * texture, -1000.0)  # fat/soft tissue
        vol = np.where(mask, 55 + 10 * texture, vol)  # muscle
        vol = np.where(bone, 700.0, vol)
        vol = vol + 15 * noise
    return vol.astype(np.float32), (mask & body).astype(np.uint8)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data/nifti_mri')
    parser.add_argument('--modality', choices=('mri', 'ct'), default='mri')
    parser.add_argument('--num-train', type=int, default=8)
    parser.add_argument('--num-val', type=int, default=2)
    parser.add_argument('--num-test', type=int, default=2)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--depth', type=int, default=16)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    affine = np.diag([0.5, 0.5, 2.0, 1.0])
    counts = dict(train=args.num_train, val=args.num_val, test=args.num_test)
    idx = 0
    train_ids = []
    for split, n in counts.items():
        for d in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(args.out, d, split), exist_ok=True)
        for _ in range(n):
            vid = f'vol_{idx:03d}'
            idx += 1
            vol, mask = make_volume(rng, args.size, args.depth,
                                    args.modality)
            nib.save(nib.Nifti1Image(vol, affine),
                     osp.join(args.out, 'img_dir', split, vid + '.nii.gz'))
            nib.save(nib.Nifti1Image(mask, affine),
                     osp.join(args.out, 'ann_dir', split, vid + '.nii.gz'))
            if split == 'train':
                train_ids.append(vid)
    # Per-volume (patient) label fractions; fractions that would select no
    # volume in such a small set are left out.
    fractions = [
        p for p in (1, 5, 10, 25, 50, 100)
        if round(len(train_ids) * p / 100) >= 1
    ]
    splits = nested_fraction_splits(
        train_ids, [True] * len(train_ids), fractions, seed=args.seed)
    write_fraction_splits(
        osp.join(args.out, 'splits'),
        splits,
        manifest_extra=dict(
            seed=args.seed, unit='volume',
            source='generate_synthetic_nifti.py', modality=args.modality),
        names=train_ids,
        positive=[True] * len(train_ids))
    print(f'Wrote {idx} {args.modality.upper()} volumes to {args.out} '
          f'(fractions {fractions}).')


if __name__ == '__main__':
    main()
