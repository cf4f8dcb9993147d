"""The torch.load allow-list admits mmengine's checkpoints and nothing more."""
import io
import os
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer


def _save(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return buf


def test_history_buffer_roundtrip_with_weights_only():
    hb = HistoryBuffer()
    hb.update(1.5)
    hb.update(2.5)
    loaded = torch.load(_save({'hb': hb}), weights_only=True)['hb']
    assert isinstance(loaded, HistoryBuffer)
    assert loaded.mean() == pytest.approx(2.0)
    assert loaded.current() == pytest.approx(2.5)


class _Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned',))


class _EvilGetattr:

    def __reduce__(self):
        # getattr on something other than HistoryBuffer must be refused.
        return (getattr, (HistoryBuffer, '__init__'))


def test_arbitrary_globals_still_refused():
    with pytest.raises(pickle.UnpicklingError):
        torch.load(_save({'x': _Evil()}), weights_only=True)


def test_getattr_restricted_to_statistics_methods():
    with pytest.raises(Exception, match='Refusing getattr'):
        torch.load(_save({'x': _EvilGetattr()}), weights_only=True)
