# Copyright (c) ussl_mm contributors. All rights reserved.
"""t-SNE of a pretrained (or fine-tuned) encoder's image features.

Loads the backbone of CONFIG with the ``backbone.`` tensors of CHECKPOINT
(a pretraining checkpoint of DenseCL / MoCo v2 / SimCLR / SimSiam / Barlow
Twins, or a fine-tuning checkpoint), extracts global-average-pooled features
of the last backbone stage for every image of the chosen split(s), embeds
them with ``sklearn.manifold.TSNE`` and plots them coloured by whether the
image's mask contains foreground (effusion) and shaped by split.

The backbone is loaded by ``ussl_mm.utils.checkpoint.transfer_weights``,
the loader of PretrainedEncoderHook: 100% of the backbone's tensors must
load with equal shapes and no extra keys, otherwise the tool stops and says
why (a plot of a half-random encoder would be worse than no plot). The
functions live in :mod:`ussl_mm.apis.tsne` (the study report calls them);
the config is read by :func:`ussl_mm.apis.load_cfg`, as tools/train.py
reads it (``--cfg-options``, ``--data-root``).

Images come from the config's ``test_dataloader`` dataset (fine-tuning
configs), with its split folder replaced by ``--split``; for pretraining
configs (no test dataloader) a ``KneeUSDataset`` over the config's
``data_root`` is used. Images are resized like the test pipeline (to
``--img-size``, default the config's ``crop_size``) and normalised with the
config's mean/std.

Outputs: the PNG (``--out``), and next to it ``<out>.npz`` (embedding,
features, labels) and ``<out>.csv`` (one row per image). It also prints the
leave-one-out k-NN accuracy of the effusion label on the features, a number
to compare encoders with besides the picture.

Example::

    python tools/analysis_tools/visualize_tsne.py \\
        configs/mocov2/mocov2_r18_1xb16-coslr-200i_knee-us-128_cpu.py \\
        work_dirs/mocov2_r18_1xb16-coslr-200i_knee-us-128_cpu/iter_200.pth \\
        --split train test --out work_dirs/tsne_mocov2.png
    # baseline: the same backbone, randomly initialised
    python tools/analysis_tools/visualize_tsne.py CONFIG random --out ...
"""
import argparse
from typing import Optional, Sequence

from mmengine.config import DictAction

from ussl_mm.apis import load_cfg
from ussl_mm.apis.tsne import (RANDOM, build_backbone,  # noqa: F401
                               dataset_cfg_for_split, encoder_tsne,
                               extract_features, knn_accuracy, plot, run_tsne)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='t-SNE of backbone features, coloured by effusion')
    parser.add_argument('config', help='pretraining or fine-tuning config')
    parser.add_argument(
        'checkpoint',
        help='checkpoint whose `backbone.` tensors are loaded, or "random" '
        'for the randomly initialised backbone (a baseline)')
    parser.add_argument(
        '--split', nargs='+', default=['test'],
        help='split folder(s) of the data set (img_dir/<split>, '
        'ann_dir/<split>). Defaults to test.')
    parser.add_argument(
        '--out', default='work_dirs/tsne.png',
        help='output PNG; <out>.npz and <out>.csv are written next to it')
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument(
        '--img-size', type=int,
        help='images are resized to this size (keep ratio). Defaults to the '
        "config's crop_size")
    parser.add_argument(
        '--feature-index', type=int, default=-1,
        help='which backbone output to pool: -1 = last ResNet stage (for an '
        'mmseg UNet backbone use 0, the bottleneck). Defaults to -1')
    parser.add_argument('--perplexity', type=float, default=30.0)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument(
        '--max-images', type=int,
        help='use at most this many images per split (the first ones)')
    parser.add_argument('--knn', type=int, default=5,
                        help='k of the leave-one-out k-NN accuracy')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, as in tools/train.py')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = load_cfg(args.config, args.cfg_options, args.data_root)
    return encoder_tsne(
        cfg, args.checkpoint, args.split, args.out, data_root=args.data_root,
        img_size=args.img_size, feature_index=args.feature_index,
        perplexity=args.perplexity, batch_size=args.batch_size,
        max_images=args.max_images, knn=args.knn, seed=args.seed)


if __name__ == '__main__':
    main()
