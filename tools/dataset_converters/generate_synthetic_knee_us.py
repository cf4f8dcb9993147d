"""Generate the synthetic suprapatellar knee-ultrasound data set.

    python tools/dataset_converters/generate_synthetic_knee_us.py \
        --out data/knee_us --num-train 240 --num-val 60 --num-test 60 \
        --size 256 --seed 0 [--workers 2] \
        [--preview docs/img/knee_us_samples.png]

    # a second, differently generated regime (another image size, coarser
    # speckle, lower gain, fewer and smaller effusions)
    python tools/dataset_converters/generate_synthetic_knee_us.py \
        --out data/knee_us_b --size 224 288 --speckle-scale 1.6 \
        --gain-db -4 --p-effusion 0.55 --effusion-scale 0.75 --seed 1

Writes ``{img_dir,ann_dir}/{train,val,test}/*.png`` (masks: 0 background,
1 effusion) and the nested label-fraction splits in ``splits/``.
"""
import argparse
import os.path as osp
import time

import cv2
import numpy as np

from ussl_mm.datasets.synthetic import generate_knee_us


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default='data/knee_us')
    p.add_argument('--num-train', type=int, default=240)
    p.add_argument('--num-val', type=int, default=60)
    p.add_argument('--num-test', type=int, default=60)
    p.add_argument('--size', type=int, nargs='+', default=[256],
                   help='one int (square) or HEIGHT WIDTH')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--workers', type=int, default=1)
    p.add_argument('--p-effusion', type=float, default=0.8)
    p.add_argument('--speckle-scale', type=float, default=1.0,
                   help='pulse size multiplier (>1: coarser speckle)')
    p.add_argument('--gain-db', type=float, default=0.0,
                   help='overall gain offset in dB (<0: darker)')
    p.add_argument('--effusion-scale', type=float, default=1.0,
                   help='effusion size multiplier (<1: smaller)')
    p.add_argument('--fractions', type=float, nargs='+',
                   default=[1, 5, 10, 25, 50, 100])
    p.add_argument('--preview', default=None,
                   help='also write a PNG grid (image | effusion outline | '
                   'mask) of the first training images')
    p.add_argument('--preview-rows', type=int, default=4)
    return p.parse_args()


def write_preview(root, names, path, rows):
    """Grid of ``rows`` x 2 samples, each ``image | outline | mask``."""
    tiles = []
    for name in names[:2 * rows]:
        img = cv2.imread(osp.join(root, 'img_dir', 'train', name + '.png'), 0)
        mask = cv2.imread(osp.join(root, 'ann_dir', 'train', name + '.png'), 0)
        rgb = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        over = rgb.copy()
        cnt, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL,
                                  cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(over, cnt, -1, (0, 200, 255), 1)
        m = cv2.cvtColor(mask * 255, cv2.COLOR_GRAY2BGR)
        sep = np.full((img.shape[0], 4, 3), 255, np.uint8)
        tiles.append(np.hstack([rgb, sep, over, sep, m]))
    while len(tiles) % 2:
        tiles.append(np.zeros_like(tiles[0]))
    hsep = np.full((tiles[0].shape[0], 12, 3), 255, np.uint8)
    lines = [np.hstack([tiles[i], hsep, tiles[i + 1]])
             for i in range(0, len(tiles), 2)]
    vsep = np.full((12, lines[0].shape[1], 3), 255, np.uint8)
    grid = np.vstack([x for ln in lines for x in (ln, vsep)][:-1])
    cv2.imwrite(path, grid)
    print(f'preview: {path}')


def main():
    a = parse_args()
    t0 = time.perf_counter()
    if len(a.size) not in (1, 2):
        raise SystemExit(f'--size takes one int or HEIGHT WIDTH, got {a.size}')
    size = a.size[0] if len(a.size) == 1 else tuple(a.size)
    res = generate_knee_us(
        a.out, a.num_train, a.num_val, a.num_test, size, a.seed, a.workers,
        a.p_effusion, a.fractions, speckle_scale=a.speckle_scale,
        gain_db=a.gain_db, effusion_scale=a.effusion_scale)
    dt = time.perf_counter() - t0
    n = sum(len(v) for v in res.values())
    for split, rows in res.items():
        print(f'{split:5s}: {len(rows):5d} images, '
              f'{sum(p for _, p in rows)} with effusion')
    if a.preview:
        write_preview(a.out, [nm for nm, _ in res['train']], a.preview,
                      a.preview_rows)
    print(f'wrote {n} images in {dt:.1f} s ({n / dt:.0f} img/s) to {a.out}')


if __name__ == '__main__':
    main()
