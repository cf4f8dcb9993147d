"""check_data_preprocessor / data_preprocessor_key: a normalisation
override that would not reach the model is refused, through load_cfg (what
tools/train.py and tools/test.py read configs with)."""
import os.path as osp

import pytest
from mmengine.config import Config

from ussl_mm.apis import load_cfg
from ussl_mm.utils import check_data_preprocessor, data_preprocessor_key

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
OURS = osp.join(REPO_ROOT, 'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py')
STOCK = osp.join(REPO_ROOT,
                 'configs/fcn/fcn_r18-d8_stock_1xb8-250i_knee-us-128_cpu.py')


def test_key_is_the_preprocessor_the_runner_builds():
    key, pre = data_preprocessor_key(Config.fromfile(OURS))
    assert key == 'data_preprocessor' and pre['type'] == 'SegDataPreProcessor'
    key, pre = data_preprocessor_key(Config.fromfile(STOCK))
    assert key == 'model.data_preprocessor'
    assert pre['type'] == 'SegDataPreProcessor'
    assert data_preprocessor_key(Config(dict(model=dict(type='M')))) == (
        'data_preprocessor', {})


def test_overrides_that_reach_the_model_are_accepted():
    cfg = load_cfg(OURS, {'data_preprocessor.mean': [1.0] * 3})
    assert cfg.data_preprocessor.mean == [1.0] * 3
    assert 'data_preprocessor' not in cfg.model
    cfg = load_cfg(STOCK, {'model.data_preprocessor.mean': [2.0] * 3})
    assert cfg.model.data_preprocessor.mean == [2.0] * 3


def test_model_key_on_a_top_level_config_is_refused():
    with pytest.raises(ValueError) as e:
        load_cfg(OURS, {'model.data_preprocessor.mean': [1.0] * 3})
    msg = str(e.value)
    assert OURS in msg and 'has no type' in msg
    assert 'data_preprocessor.mean=... (top level) instead' in msg


def test_top_level_key_on_a_model_config_is_refused():
    with pytest.raises(ValueError) as e:
        load_cfg(STOCK, {'data_preprocessor.std': [1.0] * 3})
    msg = str(e.value)
    assert STOCK in msg and 'would not reach the model' in msg
    assert 'Override model.data_preprocessor.std instead' in msg


def test_check_without_options_accepts_both_layouts():
    for path in (OURS, STOCK):
        check_data_preprocessor(Config.fromfile(path), None, path)


def test_misspelt_top_level_override_is_refused_with_a_suggestion():
    """mmengine adds an unknown top-level key silently: trian_cfg.max_iters=4
    would train the config's full schedule. The tools refuse it."""
    from ussl_mm.apis import build_train_cfg, parse_train_args
    from ussl_mm.utils.config import UnknownConfigKeyError
    with pytest.raises(UnknownConfigKeyError) as err:
        build_train_cfg(parse_train_args(
            [OURS, '--cfg-options', 'trian_cfg.max_iters=4']))
    msg = str(err.value)
    assert "'trian_cfg' (did you mean train_cfg" in msg
    assert OURS in msg and 'Fix the spelling' in msg
    with pytest.raises(KeyError, match="'randomnes' .*did you mean "
                       'randomness'):
        load_cfg(OURS, {'randomnes.seed': 1})
    # No close match: the message lists the config's keys instead.
    with pytest.raises(KeyError, match='top-level keys are .*train_cfg'):
        load_cfg(OURS, {'zzz': 1})


def test_keys_the_runner_or_ussl_mm_read_are_accepted():
    # Absent from the config but read by mmengine or ussl_mm; and on a
    # config with the library's runtime.
    cfg = load_cfg(OURS, {
        'train_cfg.max_iters': 4, 'load_from_strict': False,
        'pretrained_encoder': None, 'auto_scale_lr.enable': True,
        'model_wrapper_cfg.type': 'MMDistributedDataParallel',
        'sync_bn': 'torch', 'experiment_name': 'x'})
    assert cfg.train_cfg.max_iters == 4 and cfg.load_from_strict is False
    cfg = load_cfg(STOCK, {'load_from_strict': False, 'randomness.seed': 3})
    assert cfg.randomness.seed == 3
