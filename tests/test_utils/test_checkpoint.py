"""Strict loading for tools/test.py and config fix-ups."""
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from ussl_mm.utils import (enable_amp, load_checkpoint_strict,
                           strip_collate_scope)


def _net(width=4):
    return nn.Sequential(nn.Conv2d(3, width, 3), nn.BatchNorm2d(width))


def test_strict_load_accepts_matching_checkpoint(tmp_path):
    src, dst = _net(), _net()
    with torch.no_grad():
        src[0].weight.add_(1.0)
    path = tmp_path / 'ok.pth'
    torch.save({'state_dict': src.state_dict(), 'meta': {}}, path)
    load_checkpoint_strict(dst, str(path))
    torch.testing.assert_close(dst[0].weight, src[0].weight)


def test_strict_load_refuses_shape_and_key_mismatch(tmp_path):
    path = tmp_path / 'wrong.pth'
    torch.save({'state_dict': _net(width=8).state_dict()}, path)
    dst = _net(width=4)
    before = dst[0].weight.clone()
    with pytest.raises(RuntimeError) as err:
        load_checkpoint_strict(dst, str(path))
    msg = str(err.value)
    assert 'wrong.pth' in msg and 'shape-mismatched' in msg
    assert '0.weight' in msg
    # Nothing was loaded.
    torch.testing.assert_close(dst[0].weight, before)

    sd = _net().state_dict()
    sd['extra.weight'] = torch.zeros(1)
    del sd['1.bias']
    torch.save(sd, path)
    with pytest.raises(RuntimeError, match=r'1 missing, 1 unexpected'):
        load_checkpoint_strict(dst, str(path))


class Foreign:
    """A class torch's weights_only unpickler must refuse."""


@pytest.mark.parametrize('kind,words', [
    ('missing', 'does not exist'),
    ('empty', 'is empty (0 bytes)'),
    ('text', 'is a text file, not a torch checkpoint'),
    ('truncated', 'truncated torch zip archive'),
    ('foreign', 'Foreign)'),
    ('list', 'holds a list, expected a dict'),
])
def test_strict_load_names_the_file_and_what_is_wrong(tmp_path, kind, words):
    from ussl_mm.utils.checkpoint import CheckpointReadError
    path = tmp_path / f'{kind}.pth'
    if kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'text':
        path.write_text('<html>404 Not Found</html>\n')
    elif kind == 'truncated':
        torch.save({'state_dict': _net().state_dict()}, path)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == 'foreign':
        torch.save({'state_dict': _net().state_dict(), 'x': Foreign()}, path)
    elif kind == 'list':
        torch.save([torch.zeros(1)], path)
    dst = _net()
    before = dst[0].weight.clone()
    error = FileNotFoundError if kind == 'missing' else CheckpointReadError
    with pytest.raises(error) as err:
        load_checkpoint_strict(dst, str(path))
    assert str(path) in str(err.value) and words in str(err.value), \
        str(err.value)
    torch.testing.assert_close(dst[0].weight, before)


def test_strip_collate_scope():
    cfg = Config(
        dict(train_dataloader=dict(
            collate_fn=dict(type='default_collate', _scope_='mmpretrain'))))
    strip_collate_scope(cfg)
    assert cfg.train_dataloader.collate_fn == dict(type='default_collate')


def test_enable_amp_picks_cpu_wrapper_without_gpu():
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer={})))
    enable_amp(cfg, cuda=False)
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer={})))
    enable_amp(cfg, cuda=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    cfg = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper')))
    with pytest.raises(RuntimeError, match='CPUAmpOptimWrapper'):
        enable_amp(cfg, cuda=False)
