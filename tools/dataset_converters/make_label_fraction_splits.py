"""Write nested, stratified label-fraction split files for a data root.

    python tools/dataset_converters/make_label_fraction_splits.py \
        --data-root data/knee_us [--fractions 1 5 10 25 50 100] [--seed 0]

Reads ``img_dir/train`` (every common image suffix, in any case) and the
masks in ``ann_dir/train`` (an image is positive when its mask holds any
foreground pixel), and writes
``splits/train_{pct}pct.txt`` (every smaller file inside every larger one)
plus ``splits/manifest.json`` (seed, counts, positives, source list).
The folder is checked first: images without masks, orphan masks, files with
other image suffixes, unreadable masks and 0/255 exports are refused
together, each file named (binary masks saved as 0/255:
``--mask-values 0:0 255:1``).
"""
import argparse
import json
import sys

from ussl_mm.datasets.splits import (DEFAULT_FRACTIONS,
                                     fraction_splits_from_folder)
from ussl_mm.datasets.validation import (DataValidationError,
                                        normalise_mask_values)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default='data/knee_us')
    p.add_argument('--fractions', type=float, nargs='+',
                   default=list(DEFAULT_FRACTIONS))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--img-suffix', nargs='+', default=None,
                   help='image suffixes, case-insensitive (default: .png '
                   '.jpg .jpeg .bmp .tif .tiff)')
    p.add_argument('--seg-map-suffix', nargs='+', default=['.png'])
    p.add_argument('--split-dir', default='splits')
    p.add_argument('--mask-values', nargs='+', default=None,
                   metavar='RAW:CLASS',
                   help='map raw mask values to classes, e.g. 0:0 255:1 '
                   'for 0/255 binary masks')
    p.add_argument('--num-classes', type=int, default=None,
                   help='also check that mask values are < NUM_CLASSES')
    return p.parse_args()


def main():
    args = parse_args()
    try:
        path = fraction_splits_from_folder(
            args.data_root, args.fractions, args.seed,
            img_suffix=args.img_suffix, seg_map_suffix=args.seg_map_suffix,
            split_dir=args.split_dir,
            mask_values=normalise_mask_values(args.mask_values),
            num_classes=args.num_classes)
    except DataValidationError as e:
        sys.exit(str(e))
    with open(path) as f:
        man = json.load(f)
    for pct, e in man['fractions'].items():
        print(f"{pct:>5}%  {e['count']:5d} images  "
              f"{e.get('positives', '?')} with foreground  -> {e['file']}")
    print(f'manifest: {path}')


if __name__ == '__main__':
    main()
