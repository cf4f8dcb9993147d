"""Shared fixtures. Every test imports ``ussl_mm`` so all modules are
registered exactly as ``custom_imports`` does it for users.

Tests read mmengine checkpoints with ``torch.load`` and build Runners
directly, so the session allow-lists mmengine's checkpoint globals once,
explicitly, as the tools do (``import ussl_mm`` does not: see
``tests/test_import_side_effects.py``)."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

import ussl_mm  # noqa: F401
from ussl_mm.datasets.synthetic import generate_knee_us
from ussl_mm.utils import register_safe_globals

register_safe_globals()

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(autouse=True)
def _small_threads():
    # Tests are tiny; two threads is what CI has.
    torch.set_num_threads(2)
    yield


@pytest.fixture(scope='session')
def knee_us_data(tmp_path_factory):
    """``knee_us_data(**kwargs)``: the root (a ``Path``) of a generated knee
    ultrasound set (:func:`generate_knee_us` with these keyword arguments),
    generated once per session for each distinct set of arguments."""
    made = {}

    def make(**kwargs):
        key = repr(sorted(kwargs.items()))
        if key not in made:
            made[key] = tmp_path_factory.mktemp('knee_us')
            generate_knee_us(str(made[key]), **kwargs)
        return made[key]

    return make


@pytest.fixture
def tiny_image_folder(tmp_path):
    """Eight 40x40 grayscale PNGs with random texture in ``tmp_path/imgs``."""
    rng = np.random.default_rng(0)
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for i in range(8):
        img = rng.integers(0, 255, (40, 40), dtype=np.uint8)
        cv2.imwrite(str(folder / f'img_{i:02d}.png'), img)
    return folder


@pytest.fixture(scope='session')
def load_tool():
    """Import a script under ``tools/`` as a module, e.g.
    ``load_tool('analysis_tools/overlay_slices.py')`` (they are scripts,
    not a package)."""
    import importlib.util

    def _load(relpath: str):
        path = osp.join(REPO_ROOT, 'tools', relpath)
        name = osp.splitext(osp.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return _load


@pytest.fixture(scope='session')
def unet_knee_checkpoint(knee_us_data, tmp_path_factory):
    """``(config, checkpoint, data_root)``: the CPU tiny U-Net knee config,
    a checkpoint of its model (seeded weights, ``dataset_meta`` in its meta
    as the Runner writes it) and a generated 64 px knee set with 3 test
    images."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import save_checkpoint
    from mmseg.registry import MODELS

    from ussl_mm.apis import load_cfg, merge_data_preprocessor
    from ussl_mm.datasets import KneeUSDataset
    config = osp.join(REPO_ROOT, 'configs', 'unet',
                      'unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py')
    root = str(knee_us_data(num_train=2, num_val=1, num_test=3, size=64,
                            fractions=None))
    init_default_scope('mmseg')
    cfg = merge_data_preprocessor(load_cfg(config))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('unet_ckpt') / 'unet.pth')
    save_checkpoint({'state_dict': model.state_dict(),
                     'meta': {'dataset_meta': dict(KneeUSDataset.METAINFO)}},
                    path)
    return config, path, root
