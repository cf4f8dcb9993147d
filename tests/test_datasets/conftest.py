"""A tiny synthetic knee-US set shared by the data-layer tests."""
import pytest

from ussl_mm.datasets.synthetic import generate_knee_us


@pytest.fixture(scope='session')
def knee_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('knee_us')
    generate_knee_us(str(root), num_train=40, num_val=6, num_test=6,
                     size=64, seed=0)
    return root
