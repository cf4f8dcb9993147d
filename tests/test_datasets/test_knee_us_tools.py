"""The fresh-clone path: the two tools run from the command line."""
import json
import os.path as osp
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # the tools, each in a fresh interpreter

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _run(*args):
    out = subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, capture_output=True,
        text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_generate_then_split_tools(tmp_path):
    root = tmp_path / 'knee_us'
    stdout = _run('tools/dataset_converters/generate_synthetic_knee_us.py',
                  '--out', str(root), '--num-train', '20', '--num-val', '2',
                  '--num-test', '2', '--size', '48', '--seed', '3',
                  '--preview', str(tmp_path / 'grid.png'))
    assert 'img/s' in stdout and (tmp_path / 'grid.png').is_file()
    assert len(list((root / 'ann_dir' / 'train').glob('*.png'))) == 20
    first = (root / 'splits' / 'train_25pct.txt').read_text()
    stdout = _run('tools/dataset_converters/make_label_fraction_splits.py',
                  '--data-root', str(root), '--fractions', '10', '25', '100',
                  '--seed', '3')
    assert 'manifest' in stdout
    # same seed, same masks: the tool reproduces the generator's 25 % file
    assert (root / 'splits' / 'train_25pct.txt').read_text() == first
    man = json.loads((root / 'splits' / 'manifest.json').read_text())
    assert man['seed'] == 3 and set(man['fractions']) == {'10', '25', '100'}
