"""Statistics of a data root, written as a config to inherit.

    python tools/analysis_tools/dataset_stats.py DATA_ROOT \
        --out configs/_base_/datasets/my_stats.py [--config CONFIG] \
        [--mask-values 0:0 255:1] [--num-classes K]

Scans ``DATA_ROOT/{img_dir,ann_dir}/{train,val,test}`` once (with the
datasets' checks: every bad file is listed), and prints and writes

* the gray-level ``mean``/``std`` of the train images as the model sees them
  (colour converted to gray, as LoadUSImage does);
* image sizes, class pixel frequencies and foreground prevalence per split;
* colour images and the share of strongly coloured overlay pixels.

With ``--config`` it compares the config's data preprocessor mean/std with
the data and warns when they differ strongly (the normalised input would
not be centred at 0 with spread 1); the number of classes then comes from
the config's dataset. The exit status is 1 when the folder fails the
checks, else 0 (a normalisation warning does not fail).
"""
import argparse
import sys

from ussl_mm.datasets.stats import (compare_normalisation,
                                    compute_dataset_stats, overlay_warnings,
                                    write_stats_config)
from ussl_mm.datasets.validation import (DataValidationError,
                                        normalise_mask_values)
from ussl_mm.utils import data_preprocessor_key
from ussl_mm.utils.atomic import atomic_write_json


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data_root')
    p.add_argument('--out', help='config file to write, e.g. '
                   'configs/_base_/datasets/my_stats.py')
    p.add_argument('--config', help='warn when this config\'s data '
                   'preprocessor mean/std do not fit the data')
    p.add_argument('--splits', nargs='+', default=['train', 'val', 'test'])
    p.add_argument('--num-classes', type=int, default=None)
    p.add_argument('--mask-values', nargs='+', default=None,
                   metavar='RAW:CLASS',
                   help='map raw mask values to classes, e.g. 0:0 255:1')
    p.add_argument('--json', help='also write the statistics as JSON')
    return p.parse_args(argv)


def config_normalisation(config: str):
    """``(mean, std, class names or None, preprocessor key)`` of a
    config."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    key, pre = data_preprocessor_key(cfg)
    if pre.get('mean') is None or pre.get('std') is None:
        raise SystemExit(f'{config}: {key} has no mean/std to compare.')
    classes = None
    ds = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    while isinstance(ds, dict) and 'dataset' in ds:  # RepeatDataset etc.
        ds = ds['dataset']
    if isinstance(ds, dict):
        classes = (ds.get('metainfo') or {}).get('classes')
        if classes is None and ds.get('type'):
            import ussl_mm  # noqa: F401  registers the datasets
            from mmseg.registry import DATASETS
            cls = DATASETS.get(ds['type'])
            classes = getattr(cls, 'METAINFO', {}).get('classes')
    return list(pre['mean']), list(pre['std']), classes, key


def main(argv=None):
    args = parse_args(argv)
    classes, norm = None, None
    if args.config:
        mean, std, classes, key = config_normalisation(args.config)
        norm = (mean, std, key)
    num_classes = args.num_classes
    if num_classes is None and classes:
        num_classes = len(classes)
    try:
        stats = compute_dataset_stats(
            args.data_root, splits=args.splits, num_classes=num_classes,
            mask_values=normalise_mask_values(args.mask_values))
    except DataValidationError as e:
        print(e, file=sys.stderr)
        return 1
    print(f'{stats["data_root"]}: gray mean {stats["mean"]} std '
          f'{stats["std"]} ({stats["mean_split"]} split, '
          f'{stats["num_pixels"]} pixels), {stats["num_classes"]} classes')
    for split, e in stats['splits'].items():
        line = (f'  {split}: {e["num_images"]} images, sizes '
                f'{e["sizes"]}, mean {e["mean"]} std {e["std"]}')
        if 'class_pixel_frequency' in e:
            line += (f', class pixel frequency {e["class_pixel_frequency"]}'
                     f', foreground in {e["num_with_foreground"]}/'
                     f'{e["num_masks"]} masks')
        print(line)
    if stats['missing_splits']:
        print(f'  splits not found: {stats["missing_splits"]}')
    warnings = overlay_warnings(stats)
    if norm is not None:
        warnings = compare_normalisation(stats, norm[0], norm[1],
                                         key=norm[2]) + warnings
        if not warnings:
            print(f'{args.config}: {norm[2]} mean/std fit the data.')
    for w in warnings:
        print(f'WARNING: {w}')
    if args.out:
        write_stats_config(stats, args.out, class_names=classes)
        print(f'wrote {args.out}')
    if args.json:
        atomic_write_json(args.json, stats)
        print(f'wrote {args.json}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
