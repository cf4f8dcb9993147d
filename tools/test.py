# Copyright (c) ussl_mm contributors. Adapted from mmseg tools/test.py.
"""Evaluate a fine-tuned segmentation checkpoint on the config's test split.

Prints mIoU, mDice and the per-class table (mmseg ``IoUMetric``) and writes
``<work_dir>/test_metrics.json``. Unlike mmseg's script, the checkpoint is
loaded strictly: a checkpoint whose keys do not match the config's model is
refused instead of evaluated half-random. The command line and the Runner
come from :mod:`ussl_mm.apis.run` (shared with ``tools/study.py``).

Example::

    python tools/test.py CONFIG work_dirs/xxx/iter_40000.pth
    python tools/test.py CONFIG CKPT --data-root data/my_us
"""
from ussl_mm.apis import build_test_runner, parse_test_args, run_test


def main():
    args = parse_test_args()
    runner = build_test_runner(args)
    run_test(runner)


if __name__ == '__main__':
    main()
