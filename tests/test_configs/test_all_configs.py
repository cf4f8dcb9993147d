"""Every config in configs/ loads, names its scope, and builds its model."""
import ast
import copy
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
    # Crash-safe checkpoints with the random state, in every config (also
    # those on a library runtime, which names mmengine's hook).
    assert cfg.default_hooks.checkpoint.type == 'AtomicCheckpointHook', (
        f'{_rel(path)}: default_hooks.checkpoint.type is '
        f'{cfg.default_hooks.checkpoint.type!r}; inherit '
        "configs/_base_/default_runtime.py or set type='AtomicCheckpointHook'")
    if scope == 'mmseg':
        from mmseg.registry import HOOKS
    else:
        from mmpretrain.registry import HOOKS
    with DefaultScope.overwrite_default_scope(scope):
        hook = HOOKS.build(copy.deepcopy(cfg.default_hooks.checkpoint))
    assert type(hook).__name__ == 'AtomicCheckpointHook'


# --------------------------------------------------------------- layout rules
ALL = sorted(
    p for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if osp.sep + 'study' + osp.sep not in p)
MAX_DEPTH = 3


def _resolve_base(base, parent):
    """Absolute path of a ``_base_`` entry (``pkg::`` ones too)."""
    if '::' in base:
        from mmengine.utils import get_installed_path
        package, rel = base.split('::', 1)
        package = {'mmseg': 'mmsegmentation'}.get(package, package)
        return osp.join(get_installed_path(package), '.mim', 'configs', rel)
    return osp.normpath(osp.join(osp.dirname(parent), base))


def _own_statements(path):
    """The file's top-level statements other than ``_base_ = ...``."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    return [
        s for s in tree.body if not (
            isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name)
            and s.targets[0].id == '_base_')
    ]


def _alias_target(path):
    """The one base of a file that only inherits (e.g. the README's
    configs/densecl_r50_knee.py), else None."""
    bases = Config._get_base_files(path)
    if len(bases) == 1 and not _own_statements(path):
        return _resolve_base(bases[0], path)
    return None


def _depth(path):
    """Files on the longest inheritance chain, the file itself included
    (library bases count too: a reader follows them as well)."""
    bases = Config._get_base_files(path)
    return 1 + max((_depth(_resolve_base(b, path)) for b in bases), default=0)


def test_inheritance_is_at_most_three_files_deep():
    deep = {}
    for path in CONFIGS:
        target = _alias_target(path) or path
        if _depth(target) > MAX_DEPTH:
            deep[_rel(path)] = _depth(target)
    assert not deep, (
        f'configs deeper than {MAX_DEPTH} files (leaf included): {deep}. '
        'Scale lives in the _base_ files; a leaf lists its four bases.')


def test_depth_counts_the_chain():
    # fcn CPU -> knee-us_seg-128 (self-contained): 2; the pretrained
    # benchmark adds one; the README alias measures its target.
    fcn = osp.join(CONFIG_DIR, 'fcn',
                   'fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py')
    bench = osp.join(CONFIG_DIR, 'densecl', 'benchmarks',
                     'fcn_r18-d8_1xb8-250i_knee-us-128_densecl_cpu.py')
    alias = osp.join(CONFIG_DIR, 'densecl_r50_knee.py')
    assert _depth(fcn) == 2 and _depth(bench) == 3
    assert _alias_target(alias) == osp.join(
        CONFIG_DIR, 'densecl', 'densecl_r50_1xb32-coslr-200e_knee-us-224.py')
    assert _alias_target(bench) is None


def _merged_bases(path, tmp_dir):
    """The dict a config's bases give, before the file's own lines."""
    bases = [_resolve_base(b, path) if '::' not in b else b
             for b in Config._get_base_files(path)]
    probe = osp.join(tmp_dir, 'bases_of_' + osp.basename(path))
    with open(probe, 'w', encoding='utf-8') as f:
        f.write(f'_base_ = {bases!r}\n')
    return Config.fromfile(probe)


def _own_values(path, merged):
    """Execute the file's own statements with ``_base_`` bound to the merged
    bases (what mmengine's ``_base_.x`` form reads); returns
    {name: (value, derived)}, ``derived`` when the statement reads
    ``_base_`` (item assignment on an inherited value, not a restatement).
    """
    namespace = {'_base_': copy.deepcopy(merged._cfg_dict)}
    derived = set()
    for stmt in _own_statements(path):
        exec(compile(ast.Module([stmt], []), path, 'exec'), namespace)
        reads_base = any(
            isinstance(n, ast.Name) and n.id in (['_base_'] + sorted(derived))
            for n in ast.walk(stmt))
        targets = [n.id for n in ast.walk(stmt)
                   if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
        if reads_base:
            derived.update(targets)
    return {
        k: (v, k in derived)
        for k, v in namespace.items()
        if not k.startswith('__') and k != '_base_'
    }


def _restated(own, base, path=''):
    """Dotted paths where ``own`` states exactly what ``base`` gives."""
    if isinstance(own, dict) and isinstance(base, dict):
        if own.get('_delete_'):
            return []
        found = []
        for k, v in own.items():
            if k in base:
                found += _restated(v, base[k], f'{path}.{k}' if path else k)
        return found
    return [path] if own == base else []


# Restatements kept on purpose, each with its reason.
RESTATE_WHITELIST = {}


@pytest.mark.parametrize(
    'path', [p for p in ALL if Config._get_base_files(p)], ids=_rel)
def test_no_config_restates_what_its_bases_give(path, tmp_path):
    merged = _merged_bases(path, str(tmp_path))
    found = []
    for name, (value, derived) in _own_values(path, merged).items():
        if derived or name not in merged:
            continue
        found += _restated(value, merged[name], name)
    found = [f for f in found
             if f not in RESTATE_WHITELIST.get(_rel(path), ())]
    assert not found, (
        f'{_rel(path)} restates values its bases already give: {found}. '
        'Delete them (a child states only what differs).')


def test_restate_check_can_fail(tmp_path):
    leaf = tmp_path / 'leaf.py'
    leaf.write_text(
        f"_base_ = [{osp.join(CONFIG_DIR, '_base_', 'default_runtime.py')!r}]"
        "\nlog_level = 'INFO'\n"
        "default_hooks = dict(logger=dict(interval=10, type='LoggerHook'))\n"
        "env_cfg = _base_.env_cfg\nenv_cfg.cudnn_benchmark = True\n")
    merged = _merged_bases(str(leaf), str(tmp_path))
    own = _own_values(str(leaf), merged)
    found = [p for k, (v, derived) in own.items() if not derived
             for p in _restated(v, merged[k], k)]
    assert found == ['log_level', 'default_hooks.logger.type']
    assert own['env_cfg'][1]  # derived from _base_: not a restatement


def test_knee_us_dataset_bases_agree_on_root_and_normalisation():
    """mean/std/data_root are stated in each self-contained knee-us base;
    they must not drift apart."""
    values = {}
    for path in glob.glob(
            osp.join(CONFIG_DIR, '_base_', 'datasets', 'knee-us_*.py')):
        cfg = Config.fromfile(path)
        if 'stock' in path:  # the stock recipe uses mmseg's ImageNet values
            continue
        values[_rel(path)] = (cfg.data_root, tuple(cfg.mean), tuple(cfg.std))
    assert len(values) >= 6 and len(set(values.values())) == 1, values


def _flips(value):
    if isinstance(value, dict):
        if value.get('type') == 'RandomFlip':
            yield value
        for v in value.values():
            yield from _flips(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _flips(v)


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_ultrasound_flips_are_lateral_only(path):
    """Depth has physics on it: no config flips vertically."""
    cfg = Config.fromfile(path).to_dict()
    for flip in _flips(cfg):
        direction = flip.get('direction', 'horizontal')
        assert direction == 'horizontal', (_rel(path), flip)
