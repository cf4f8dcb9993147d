"""Run one nnU-Net v2 console command in this (child) process, seeded.

Usage (what :func:`ussl_mm.baselines.run_nnunet_row` executes)::

    python _nnunet_entry.py --seed 0 nnUNetv2_train 1 2d 0 -tr X -device cpu

The command name and its arguments are exactly those of nnU-Net's console
script; the entry point is looked up in ``NNUNET_ENTRY_POINTS`` and called
with ``sys.argv`` set as the console script would. The only addition is
seeding ``random``, ``numpy`` and ``torch`` first: nnU-Net's CLI has no seed
option, and with ``nnUNet_n_proc_DA=0`` (augmentation in the main process)
the seed makes a run repeatable. Run as a script (not ``-m``), so that the
child does not import ussl_mm and the OpenMMLab stack.
"""
import argparse
import importlib
import random
import sys

# nnU-Net's console scripts (nnunetv2's entry_points.txt), by name.
ENTRY_POINTS = {
    'nnUNetv2_plan_and_preprocess':
    'nnunetv2.experiment_planning.plan_and_preprocess_entrypoints:'
    'plan_and_preprocess_entry',
    'nnUNetv2_train': 'nnunetv2.run.run_training:run_training_entry',
    'nnUNetv2_predict':
    'nnunetv2.inference.predict_from_raw_data:predict_entry_point',
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seed', type=int, default=None)
    parser.add_argument('command', choices=sorted(ENTRY_POINTS))
    parser.add_argument('args', nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    if ns.seed is not None:
        import numpy as np
        import torch
        random.seed(ns.seed)
        np.random.seed(ns.seed)
        torch.manual_seed(ns.seed)
    module, func = ENTRY_POINTS[ns.command].split(':')
    entry = getattr(importlib.import_module(module), func)
    sys.argv = [ns.command] + list(ns.args)
    entry()


if __name__ == '__main__':
    main()
