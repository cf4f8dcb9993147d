"""Importing ussl_mm registers every public module it defines.

Walks the package, finds each class that extends an OpenMMLab base type and
checks it is reachable by its class name from the registry users' configs go
through. A new module someone forgets to register (or to import in its
``__init__``) fails here.
"""
import importlib
import inspect
import pkgutil

import pytest
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import ussl_mm


def _all_classes():
    found = {}
    for info in pkgutil.walk_packages(ussl_mm.__path__, 'ussl_mm.'):
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == module.__name__ and not name.startswith('_'):
                found[f'{module.__name__}.{name}'] = obj
    return found


def _registries_for(cls):
    """(kind, [registries a config may resolve it from])."""
    import mmcv.transforms
    import mmengine.registry as me
    import mmpretrain.registry as mp
    import mmseg.registry as ms
    if issubclass(cls, BaseTransform):
        return 'transform', [mmcv.transforms.TRANSFORMS, ms.TRANSFORMS,
                             mp.TRANSFORMS]
    if issubclass(cls, BaseDataset):
        return 'dataset', [ms.DATASETS, mp.DATASETS]
    if issubclass(cls, Hook):
        return 'hook', [me.HOOKS]
    if issubclass(cls, OptimWrapper):
        return 'optim_wrapper', [me.OPTIM_WRAPPERS]
    if issubclass(cls, DistributedDataParallel):
        # mmengine's root registry: both scopes' Runners find it there.
        return 'model_wrapper', [me.MODEL_WRAPPERS]
    if issubclass(cls, BaseMetric):
        return 'metric', [ms.METRICS, mp.METRICS]
    if issubclass(cls, nn.Module):
        return 'model', [ms.MODELS, mp.MODELS]
    return None, []


CLASSES = {
    k: c
    for k, c in _all_classes().items()
    if _registries_for(c)[0] is not None and not inspect.isabstract(c)
}


def test_package_defines_registered_modules():
    kinds = {_registries_for(c)[0] for c in CLASSES.values()}
    assert 'optim_wrapper' in kinds


@pytest.mark.parametrize('qualname', sorted(CLASSES))
def test_class_is_registered(qualname):
    cls = CLASSES[qualname]
    kind, registries = _registries_for(cls)
    hits = [r for r in registries if r.get(cls.__name__) is cls]
    assert hits, (f'{qualname} ({kind}) is not registered in any of '
                  f'{[r.scope + "." + r.name for r in registries]}')
    if kind == 'transform':
        # Both scopes must find a transform (STYLE rule 1).
        import mmpretrain.registry as mp
        import mmseg.registry as ms
        assert ms.TRANSFORMS.get(cls.__name__) is cls
        assert mp.TRANSFORMS.get(cls.__name__) is cls
