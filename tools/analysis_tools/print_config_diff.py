# Copyright (c) ussl_mm contributors. All rights reserved.
"""Print what differs between two resolved configs.

Both configs are resolved by mmengine (inheritance, ``_base_`` variables,
``--cfg-options``) and compared as plain dicts; every difference is printed
as one dotted path. Use it to check that a refactored config still resolves
to the same dict as before, or to see what a sibling really changes::

    python tools/analysis_tools/print_config_diff.py OLD.py NEW.py
    python tools/analysis_tools/print_config_diff.py \\
        configs/fcn/fcn_r50-d8_1xb16-40ki_knee-us-256.py \\
        configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py --runner-keys

Exit status 0 when the configs are equal (after the chosen
normalisations), 1 otherwise.
"""
import argparse
import sys
from typing import Any, List

from mmengine.config import Config, DictAction

from ussl_mm.utils.config import MISSING, diff  # noqa: F401 (re-exported)

# The keys mmengine's Runner.from_cfg reads; everything else at the top
# level is a helper variable of the config files.
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name', 'cfg',
    'find_unused_parameters', 'model_wrapper_cfg', 'custom_imports',
    'pretrained_encoder')


def resolve(path: str, cfg_options=None) -> dict:
    """The config at ``path`` as a plain dict (mmengine-resolved)."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg.to_dict()


def normalise(cfg: dict, drop_scope: bool = True,
              merge_data_preprocessor: bool = True,
              runner_keys: bool = False) -> dict:
    """Apply the normalisations that do not change what the Runner builds.

    Args:
        cfg (dict): A resolved config (modified in place).
        drop_scope (bool): Remove the ``_scope_`` keys that mmengine adds to
            every dict of an ``mmseg::``/``mmpretrain::`` base.
            Defaults to True.
        merge_data_preprocessor (bool): Put the top-level
            ``data_preprocessor`` into ``model`` when the model has none,
            as ``Runner.__init__`` does, and drop the top-level key (the
            Runner reads it for nothing else). Defaults to True.
        runner_keys (bool): Keep only the keys the Runner reads.
            Defaults to False.

    Returns:
        dict: ``cfg``.
    """
    if drop_scope:
        cfg = _without_scope(cfg)
    model = cfg.get('model')
    if merge_data_preprocessor and isinstance(model, dict):
        pre = cfg.pop('data_preprocessor', None)
        if pre:
            model.setdefault('data_preprocessor', pre)
    if runner_keys:
        cfg = {k: v for k, v in cfg.items() if k in RUNNER_KEYS}
    return cfg


def _without_scope(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_scope(v) for k, v in value.items()
                if k != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(_without_scope(v) for v in value)
    return value


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('old', help='first config file')
    parser.add_argument('new', help='second config file')
    parser.add_argument(
        '--runner-keys', action='store_true',
        help='compare only the keys the Runner reads (not helper variables)')
    parser.add_argument(
        '--keep-scope', action='store_true',
        help='do not drop the _scope_ keys of mmseg::/mmpretrain:: bases')
    parser.add_argument(
        '--old-options', nargs='+', action=DictAction,
        help='--cfg-options applied to the first config')
    parser.add_argument(
        '--new-options', nargs='+', action=DictAction,
        help='--cfg-options applied to the second config')
    args = parser.parse_args(argv)
    old = normalise(resolve(args.old, args.old_options),
                    drop_scope=not args.keep_scope,
                    runner_keys=args.runner_keys)
    new = normalise(resolve(args.new, args.new_options),
                    drop_scope=not args.keep_scope,
                    runner_keys=args.runner_keys)
    found = list(diff(old, new))
    for path, a, b in found:
        print(f'{path}: {a!r} -> {b!r}')
    print(f'{len(found)} difference(s) between {args.old} and {args.new}.')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
