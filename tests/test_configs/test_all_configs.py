"""Every config in configs/ loads, names its scope, and builds its model."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

CONFIG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
CONFIGS = sorted(
    p for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if '_base_' not in p and osp.sep + 'study' + osp.sep not in p)


def _rel(path):
    return osp.relpath(path, CONFIG_DIR)


def test_there_are_configs():
    assert len(CONFIGS) > 0


def test_custom_imports_only_in_runtime_base():
    """``custom_imports`` lives in our runtime base; the only other configs
    that may state it are those that inherit a library's runtime instead of
    ours (the stock-recipe rows), so no config ever overrides our list."""
    offenders = []
    for path in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True):
        if _rel(path) == osp.join('_base_', 'default_runtime.py'):
            continue
        with open(path, encoding='utf-8') as f:
            if 'custom_imports' not in f.read():
                continue
        base_files = Config._get_base_files(path)
        inherits_ours = any('default_runtime' in b and '::' not in b
                            for b in base_files)
        if inherits_ours or not any('::' in b for b in base_files):
            offenders.append(_rel(path))
    assert not offenders, (
        f'custom_imports must live only in configs/_base_/default_runtime.py '
        f'(children replace the list instead of merging), or in a config '
        f'that inherits an mmseg::/mmpretrain:: runtime: {offenders}')


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.get('custom_imports', {}).get('imports') == ['ussl_mm'], (
        f'{_rel(path)} does not inherit configs/_base_/default_runtime.py')
    scope = cfg.get('default_scope')
    assert scope in ('mmseg', 'mmpretrain'), (
        f'{_rel(path)}: default_scope must be mmseg or mmpretrain, '
        f'got {scope!r}')
    init_default_scope(scope)
    if scope == 'mmseg':
        from mmseg.registry import MODELS
    else:
        from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper'):
        assert key in cfg, f'{_rel(path)} lacks {key}'
    if scope == 'mmseg':
        for key in ('val_dataloader', 'test_dataloader', 'test_evaluator'):
            assert key in cfg, f'{_rel(path)} lacks {key}'
