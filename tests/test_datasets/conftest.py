"""A tiny synthetic knee-US set shared by the data-layer tests."""
import pytest


@pytest.fixture(scope='session')
def knee_root(knee_us_data):
    return knee_us_data(num_train=40, num_val=6, num_test=6, size=64, seed=0)
