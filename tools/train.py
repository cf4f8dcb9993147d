# Copyright (c) ussl_mm contributors. Adapted from mmseg tools/train.py.
"""Train a model (pretraining or fine-tuning) from a config.

The scope (mmpretrain for self-supervised pretraining, mmseg for fine-tuning)
comes from the config's ``default_scope``. The command line and the Runner
come from :mod:`ussl_mm.apis.run`, the builder that ``tools/study.py`` uses
too, so a command logged by a study is exactly this script's input.

Example::

    python tools/train.py configs/densecl_r50_knee.py
    python tools/train.py CONFIG --amp --cfg-options train_cfg.max_iters=100
    python tools/train.py CONFIG --data-root data/my_us
    python tools/train.py CONFIG --resume               # latest in work dir
    python tools/train.py CONFIG --resume work_dirs/x/iter_100.pth
"""
from ussl_mm.apis import build_train_runner, parse_train_args, run_train


def main():
    args = parse_train_args()
    runner = build_train_runner(args)
    run_train(runner)


if __name__ == '__main__':
    main()
