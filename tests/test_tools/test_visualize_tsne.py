"""tools/analysis_tools/visualize_tsne.py: a pretraining checkpoint's
backbone -> features of a tiny generated set -> t-SNE PNG/NPZ/CSV; a
fine-tuning config reads its test dataset; mismatched checkpoints are
refused."""
import csv
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint


REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'visualize_tsne.py')
PRETRAIN_CFG = osp.join(REPO_ROOT, 'configs', 'mocov2',
                        'mocov2_r18_1xb16-coslr-200i_knee-us-128_cpu.py')
FINETUNE_CFG = osp.join(
    REPO_ROOT, 'configs', 'mocov2', 'benchmarks',
    'fcn_r18-d8_1xb8-250i_knee-us-128_mocov2_cpu.py')



@pytest.fixture(scope='module')
def knee_root(knee_us_data):
    return str(knee_us_data(num_train=8, num_val=2, num_test=2, size=64))


@pytest.fixture(scope='module')
def moco_ckpt(tmp_path_factory):
    """A MoCo v2 R18 checkpoint (mmengine format) of the CPU config."""
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(PRETRAIN_CFG)
    torch.manual_seed(123)
    model = MODELS.build(cfg.model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('ckpt') / 'mocov2_r18.pth')
    save_checkpoint({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def _has_effusion(root, split, name):
    mask = cv2.imread(osp.join(root, 'ann_dir', split, name), 0)
    return bool((mask > 0).any())


@pytest.mark.slow
def test_cli_writes_png_npz_csv(knee_root, moco_ckpt, tmp_path):
    out = str(tmp_path / 'tsne' / 'moco.png')
    proc = subprocess.run(
        [sys.executable, TOOL, PRETRAIN_CFG, moco_ckpt, '--split', 'train',
         'test', '--data-root', knee_root, '--img-size', '64', '--out', out],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'matched 120/120 (100.0%)' in proc.stdout + proc.stderr
    assert osp.getsize(out) > 1000
    data = np.load(str(tmp_path / 'tsne' / 'moco.npz'))
    n = 8 + 2
    assert data['embedding'].shape == (n, 2)
    assert np.isfinite(data['embedding']).all()
    assert data['features'].shape == (n, 512)  # ResNet-18 last stage
    assert list(np.unique(data['split'])) == ['test', 'train']
    with open(str(tmp_path / 'tsne' / 'moco.csv')) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == n
    # The colour is the mask's foreground, image by image.
    for row in rows:
        expected = _has_effusion(knee_root, row['split'], row['name'])
        assert bool(int(row['effusion'])) == expected, row
    assert {int(r['effusion']) for r in rows} == {0, 1}
    assert np.array_equal(data['effusion'],
                          [bool(int(r['effusion'])) for r in rows])


@pytest.mark.slow
def test_finetune_config_reads_its_test_dataset(knee_root, moco_ckpt,
                                                tmp_path, load_tool):
    # An mmseg (fine-tuning) config: images come from its test_dataloader
    # with the split folder replaced; the FCN R18 backbone takes the
    # pretraining checkpoint's `backbone.` strictly.
    tool = load_tool('analysis_tools/visualize_tsne.py')
    res = tool.main([
        FINETUNE_CFG, moco_ckpt, '--split', 'train', 'val', '--data-root',
        knee_root, '--out', str(tmp_path / 'ft.png'), '--perplexity', '2',
        '--img-size', '64'
    ])
    assert res['embedding'].shape == (10, 2)
    assert np.isfinite(res['embedding']).all()
    assert res['split'] == ['train'] * 8 + ['val'] * 2
    assert osp.isfile(str(tmp_path / 'ft.png'))
    # Features depend on the weights: the random baseline differs.
    rand = tool.main([
        FINETUNE_CFG, 'random', '--split', 'train', 'val', '--data-root',
        knee_root, '--out', str(tmp_path / 'rand.png'), '--perplexity', '2',
        '--img-size', '64'
    ])
    assert not np.allclose(rand['features'], res['features'])


@pytest.mark.slow
def test_refuses_mismatched_checkpoint(knee_root, moco_ckpt, tmp_path,
                                      load_tool):
    tool = load_tool('analysis_tools/visualize_tsne.py')
    state = torch.load(moco_ckpt, map_location='cpu')['state_dict']
    # A grayscale (1-channel) stem: a shape mismatch.
    state['backbone.conv1.weight'] = state['backbone.conv1.weight'][:, :1]
    bad = str(tmp_path / 'gray_stem.pth')
    torch.save({'state_dict': state}, bad)
    out = str(tmp_path / 'bad.png')
    with pytest.raises(RuntimeError) as err:
        tool.main([PRETRAIN_CFG, bad, '--split', 'train', '--data-root',
                   knee_root, '--out', out])
    msg = str(err.value)
    assert bad in msg and 'does not fit the backbone' in msg
    assert 'backbone.conv1.weight' in msg and '(64, 1, 7, 7)' in msg
    assert not osp.exists(out)

    # A deeper encoder (ResNet-50 keys) into the ResNet-18 config.
    from mmpretrain.models import ResNet
    r50 = {
        'backbone.' + k: v
        for k, v in ResNet(depth=50).state_dict().items()
    }
    deep = str(tmp_path / 'r50.pth')
    torch.save({'state_dict': r50}, deep)
    with pytest.raises(RuntimeError, match='does not fit the backbone'):
        tool.main([PRETRAIN_CFG, deep, '--split', 'train', '--data-root',
                   knee_root, '--out', out])
    with pytest.raises(FileNotFoundError, match='random'):
        tool.main([PRETRAIN_CFG, str(tmp_path / 'nope.pth'), '--out', out])
    assert not osp.exists(out)
