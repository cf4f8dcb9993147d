"""Two-process training and testing on CPU (gloo) through the real launcher.

``tools/dist_train.sh`` / ``tools/dist_test.sh`` (torch.distributed.run,
``--launcher pytorch``) start 2 ranks of ``tools/train.py`` /
``tools/test.py`` on tiny synthetic data. A test-only hook
(``_dist_probe.py``, added by a child config of our real configs) dumps
what each rank saw; the assertions compare the ranks:

* DenseCL (mmpretrain's, our CPU config): after 4 iterations the two queues
  are identical, and every queue column is a key that one of the two ranks
  computed from its own, disjoint, images (in rank order);
* FCN fine-tuning from that DenseCL checkpoint (PretrainedEncoderHook) on a
  50 % label fraction, with ``sync_bn='torch'``: each rank loaded the
  encoder, the ranks see disjoint halves of the split every epoch, only
  rank 0 writes the checkpoint, the parameters stay identical, and
  ``--resume`` continues from the checkpoint on both ranks;
* ``dist_test.sh`` over 2 ranks gives the metrics of ``tools/test.py`` in one
  process (5 test images: one rank gets a padded duplicate).

The in-process tests show why ``CPUDistributedDataParallel`` and
``ussl_mm.utils.setup_cpu_distributed`` exist (torch's DDP and SyncBN refuse
CPU modules/tensors as mmengine calls them) and what they do.
"""
import json
import os
import os.path as osp
import signal
import socket
import subprocess
import sys
from unittest import mock

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS

from _dist_probe import param_digest  # tests/test_tools is on sys.path
from ussl_mm.utils import setup_cpu_distributed

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO, 'tools')
PROBE_DIR = osp.dirname(osp.abspath(__file__))
DENSECL_CFG = osp.join(
    REPO, 'configs/densecl/densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py')
FCN_CFG = osp.join(
    REPO, 'configs/densecl/benchmarks/'
    'fcn_r18-d8_1xb8-250i_knee-us-128_densecl_cpu.py')

NUM_TRAIN, NUM_TEST = 16, 5
DENSECL_ITERS, DENSECL_BATCH, QUEUE_LEN = 4, 4, 32  # 4 x 2 x 4 = queue
FCN_ITERS, FCN_RESUMED_ITERS, FCN_BATCH, FRACTION = 4, 6, 2, 50
# A rank that dies must not leave the other waiting for gloo's 30 min (but a
# rank saving a checkpoint on a loaded CI machine may take a while).
COMMON_OPTIONS = ['env_cfg.dist_cfg.timeout=300',
                  'default_hooks.logger.interval=1']


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _run(cmd, cwd):
    """Run ``cmd`` with the probe importable; return stdout + stderr."""
    env = dict(os.environ)
    env.update(
        PYTHON=sys.executable,
        PORT=str(_free_port()),
        PYTHONPATH=os.pathsep.join(
            p for p in (REPO, PROBE_DIR, env.get('PYTHONPATH')) if p))
    # Own session: on a timeout the launcher and both ranks are killed.
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f'{" ".join(cmd)} still running after 900 s:\n'
                    f'{out[-6000:]}')
    assert proc.returncode == 0, (
        f'{" ".join(cmd)} exited with {proc.returncode}:\n{out[-6000:]}')
    return out


def _child_config(path, base, data_root):
    """Our config + the probe (custom_imports, default_hooks) + data_root."""
    dataset = f'dataset=dict(data_root={str(data_root) + "/"!r})'
    loaders = ['train_dataloader']
    if 'benchmarks' in base:
        loaders += ['val_dataloader', 'test_dataloader']
    path.write_text(
        f'_base_ = [{base!r}]\n'
        "custom_imports = dict(imports=['ussl_mm', '_dist_probe'], "
        'allow_failed_imports=False)\n'
        "default_hooks = dict(dist_probe=dict(type='DistProbeHook'))\n" +
        ''.join(f'{loader} = dict({dataset})\n' for loader in loaders))
    return str(path)


def _dumps(work_dir, phase):
    return [
        torch.load(osp.join(work_dir, 'probe', f'{phase}_rank{r}.pth'))
        for r in (0, 1)
    ]


def _epochs(samples, per_epoch):
    """Flatten a rank's batches and cut them into epochs of its shard."""
    flat = [name for batch in samples for name in batch]
    return [set(flat[i:i + per_epoch]) for i in range(0, len(flat), per_epoch)]


def _assert_disjoint_shards(dumps, names):
    """Every epoch, the two ranks' samples are disjoint and cover ``names``."""
    per_rank = len(names) // 2
    epochs = [_epochs(d['samples'], per_rank) for d in dumps]
    assert len(epochs[0]) == len(epochs[1]) >= 1
    for e, (s0, s1) in enumerate(zip(*epochs)):
        assert len(s0) == len(s1) == per_rank, f'epoch {e}: {s0} | {s1}'
        assert not s0 & s1, f'epoch {e}: both ranks loaded {s0 & s1}'
        assert s0 | s1 == set(names), f'epoch {e}: {s0 | s1} != {names}'


def _assert_same_params(d0, d1, key):
    assert d0[key].keys() == d1[key].keys()
    for name in d0[key]:
        assert torch.equal(d0[key][name], d1[key][name]), (
            f'{key}: {name} differs between the ranks')


def _assert_digest_close(a, b, name):
    """Digests of the same tensor from two processes: their fp64 sums may
    differ in the last bits (another thread count sums in another order);
    a different tensor differs in the leading digits."""
    torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9, msg=name)


@pytest.fixture(scope='module')
def knee_root(knee_us_data):
    return knee_us_data(num_train=NUM_TRAIN, num_val=2, num_test=NUM_TEST,
                        size=64, fractions=(FRACTION,))


@pytest.fixture(scope='module')
def densecl_run(knee_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('densecl_2proc')
    cfg = _child_config(tmp / 'densecl.py', DENSECL_CFG, knee_root)
    work_dir = tmp / 'work'
    out = _run([
        'bash', osp.join(TOOLS, 'dist_train.sh'), cfg, '2',
        '--work-dir', str(work_dir), '--cfg-options',
        f'model.queue_len={QUEUE_LEN}',
        f'train_dataloader.batch_size={DENSECL_BATCH}',
        f'train_cfg.max_iters={DENSECL_ITERS}',
        f'default_hooks.checkpoint.interval={DENSECL_ITERS}',
        *COMMON_OPTIONS
    ], cwd=tmp)
    return work_dir, out


@pytest.mark.slow
def test_densecl_queue_is_shared_and_gathered_from_both_ranks(
        densecl_run, knee_root):
    work_dir, out = densecl_run
    assert "torch.distributed backend 'gloo' on CPU" in out
    r0, r1 = _dumps(work_dir, 'train_from0')
    for rank, d in enumerate((r0, r1)):
        assert (d['rank'], d['world_size'], d['backend']) == (rank, 2, 'gloo')
        assert d['wrapped'] == 'CPUDistributedDataParallel'
        assert d['end_iter'] == DENSECL_ITERS
        assert len(d['keys']) == len(d['keys2']) == DENSECL_ITERS
        assert d['keys'][0].shape[0] == DENSECL_BATCH

    # Each rank trained on its own half of the images, every epoch.
    names = sorted(os.listdir(knee_root / 'img_dir' / 'train'))
    assert len(names) == NUM_TRAIN
    _assert_disjoint_shards((r0, r1), names)

    # The queues are the same tensor on both ranks ...
    for name in ('queue', 'queue2', 'queue_ptr', 'queue2_ptr'):
        assert torch.equal(r0[name], r1[name]), f'{name} differs by rank'
    # ... 4 iterations x 2 ranks x 4 keys filled all 32 columns, and each
    # block of 4 is exactly what one rank enqueued locally, rank 0 first:
    # the keys were gathered from both ranks, none is a local copy.
    assert QUEUE_LEN == DENSECL_ITERS * 2 * DENSECL_BATCH
    assert int(r0['queue_ptr']) == 0
    for queue, store in (('queue', 'keys'), ('queue2', 'keys2')):
        for it in range(DENSECL_ITERS):
            for rank, d in enumerate((r0, r1)):
                start = (it * 2 + rank) * DENSECL_BATCH
                block = r0[queue][:, start:start + DENSECL_BATCH]
                assert torch.equal(block, d[store][it].T), (
                    f'{queue} columns {start}..{start + DENSECL_BATCH - 1} '
                    f'are not the keys of rank {rank} at iteration {it + 1}')
            assert not torch.allclose(r0[store][it], r1[store][it])

    # DDP kept the parameters identical; training changed them.
    _assert_same_params(r0, r1, 'params_end')
    assert any(not torch.equal(r0['params_start'][k], r0['params_end'][k])
               for k in r0['params_end'])
    # Only rank 0 wrote the checkpoint.
    assert r0['saved'] == [f'iter_{DENSECL_ITERS}.pth'] and r1['saved'] == []
    assert osp.isfile(work_dir / f'iter_{DENSECL_ITERS}.pth')


def _fcn_train(cfg, work_dir, cwd, max_iters, densecl_ckpt, *options,
               resume=False):
    return _run([
        'bash', osp.join(TOOLS, 'dist_train.sh'), cfg, '2',
        '--work-dir', str(work_dir), *(['--resume'] if resume else []),
        '--cfg-options',
        f'pretrained_encoder.checkpoint={densecl_ckpt}',
        f'train_dataloader.dataset.label_fraction={FRACTION}',
        f'train_dataloader.batch_size={FCN_BATCH}',
        f'train_cfg.max_iters={max_iters}',
        f'default_hooks.checkpoint.interval={FCN_ITERS}',
        *COMMON_OPTIONS, *options
    ], cwd=cwd)


@pytest.mark.slow
def test_fcn_finetune_shards_checkpoint_resume_and_dist_test(
        densecl_run, knee_root, tmp_path):
    densecl_ckpt = str(densecl_run[0] / f'iter_{DENSECL_ITERS}.pth')
    cfg = _child_config(tmp_path / 'fcn.py', FCN_CFG, knee_root)
    work_dir = tmp_path / 'work'

    # 1. Fine-tune 4 iterations from the DenseCL encoder, SyncBN requested.
    out = _fcn_train(cfg, work_dir, tmp_path, FCN_ITERS, densecl_ckpt,
                     'sync_bn=torch')
    assert 'SyncBatchNorm layers converted to BatchNorm' in out
    r0, r1 = _dumps(work_dir, 'train_from0')
    for rank, d in enumerate((r0, r1)):
        assert (d['rank'], d['backend'], d['end_iter']) == (rank, 'gloo',
                                                            FCN_ITERS)
    # Both ranks started from the DenseCL encoder (the hook ran on each).
    backbone = [k for k in r0['params_start'] if k.startswith('backbone.')]
    state = torch.load(densecl_ckpt)['state_dict']
    pretrained = param_digest((k, state[k]) for k in backbone)
    assert len(pretrained) == 60  # ResNet-18 weights and biases
    for d in (r0, r1):
        for name, digest in pretrained.items():
            _assert_digest_close(d['params_start'][name], digest, name)
    # Disjoint halves of the 50 % split every epoch.
    split = (knee_root / 'splits' / f'train_{FRACTION}pct.txt').read_text()
    names = [f'{n}.png' for n in split.split()]
    assert len(names) == NUM_TRAIN * FRACTION // 100
    _assert_disjoint_shards((r0, r1), names)
    _assert_same_params(r0, r1, 'params_end')
    # One checkpoint, written by rank 0.
    assert r0['saved'] == [f'iter_{FCN_ITERS}.pth'] and r1['saved'] == []
    assert sorted(p.name for p in work_dir.glob('*.pth')) == [
        f'iter_{FCN_ITERS}.pth'
    ]
    ckpt = torch.load(work_dir / f'iter_{FCN_ITERS}.pth')
    assert ckpt['meta']['iter'] == FCN_ITERS

    # 2. --resume: both ranks continue from iteration 4 with its weights
    # (not the DenseCL encoder again), to 6.
    _fcn_train(cfg, work_dir, tmp_path, FCN_RESUMED_ITERS, densecl_ckpt,
               resume=True)
    s0, s1 = _dumps(work_dir, f'train_from{FCN_ITERS}')
    saved = param_digest(
        (k, ckpt['state_dict'][k]) for k in s0['params_start'])
    # Fine-tuning moved the encoder away from DenseCL's, so a second
    # transfer would show.
    assert not all(
        torch.allclose(saved[k], pretrained[k]) for k in pretrained)
    for d in (s0, s1):
        assert (d['start_iter'], d['end_iter']) == (FCN_ITERS,
                                                    FCN_RESUMED_ITERS)
        for name, digest in saved.items():
            _assert_digest_close(d['params_start'][name], digest, name)
    _assert_same_params(s0, s1, 'params_end')
    assert s0['saved'] == [f'iter_{FCN_RESUMED_ITERS}.pth']
    assert s1['saved'] == []

    # 3. dist_test.sh (2 ranks) == tools/test.py (1 process).
    final = str(work_dir / f'iter_{FCN_RESUMED_ITERS}.pth')
    test_2 = tmp_path / 'test_2proc'
    test_1 = tmp_path / 'test_1proc'
    _run(['bash', osp.join(TOOLS, 'dist_test.sh'), cfg, final, '2',
          '--work-dir', str(test_2), '--cfg-options', *COMMON_OPTIONS],
         cwd=tmp_path)
    _run([sys.executable, osp.join(TOOLS, 'test.py'), cfg, final,
          '--work-dir', str(test_1)], cwd=tmp_path)
    t0, t1 = _dumps(test_2, 'test')
    seen0 = [n for b in t0['samples'] for n in b]
    seen1 = [n for b in t1['samples'] for n in b]
    test_names = sorted(os.listdir(knee_root / 'img_dir' / 'test'))
    # 5 images over 2 ranks: 3 + 3, one padded duplicate, all covered.
    assert len(seen0) == len(seen1) == (NUM_TEST + 1) // 2
    assert sorted(set(seen0 + seen1)) == test_names
    metrics_2 = json.loads((test_2 / 'test_metrics.json').read_text())
    metrics_1 = json.loads((test_1 / 'test_metrics.json').read_text())
    assert 'mIoU' in metrics_1
    assert metrics_2 == metrics_1


@pytest.fixture
def gloo_group(tmp_path):
    """A 1-process gloo group in this process, destroyed afterwards."""
    torch.distributed.init_process_group(
        'gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
        world_size=1)
    yield
    torch.distributed.destroy_process_group()


def test_torch_refuses_what_mmengine_asks_on_cpu(gloo_group):
    """Why the shim exists: with this torch, a CPU module cannot take
    mmengine's ``device_ids=[LOCAL_RANK]``, and SyncBN cannot train on CPU
    tensors. If a torch release lifts these, this test says so."""
    with pytest.raises(ValueError, match='device_ids'):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2), device_ids=[0])
    with pytest.raises(ValueError, match='expected input tensor to be on GPU'):
        nn.SyncBatchNorm(4).train()(torch.randn(2, 4, 3, 3))


def test_cpu_wrapper_wraps_cpu_module_and_converts_sync_bn(gloo_group):
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.SyncBatchNorm(4))
    # As Runner.wrap_model builds it from model_wrapper_cfg.
    with mock.patch('ussl_mm.engine.model_wrappers.cpu_distributed.print_log'
                    ) as log:
        ddp = MODEL_WRAPPERS.build(
            dict(type='CPUDistributedDataParallel', broadcast_buffers=False),
            default_args=dict(module=model, device_ids=[0]))
    assert ddp.device_ids is None
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in ddp.modules())
    assert isinstance(ddp.module[1], nn.modules.batchnorm._BatchNorm)
    warnings = [c for c in log.call_args_list
                if c.kwargs.get('level') == 30]  # logging.WARNING
    assert len(warnings) == 1
    assert '1 SyncBatchNorm layers converted' in warnings[0].args[0]
    # The converted model trains: a finite loss, a gradient on every weight.
    ddp(torch.randn(2, 3, 4, 4)).square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all()
               for p in ddp.parameters())


def _cfg(launcher, **extra):
    return Config(dict(launcher=launcher,
                       env_cfg=dict(dist_cfg=dict(backend='nccl')), **extra))


def test_setup_cpu_distributed_does_nothing_without_launcher():
    cfg = _cfg('none')
    assert setup_cpu_distributed(cfg) is False
    assert 'model_wrapper_cfg' not in cfg
    assert not torch.distributed.is_initialized()


def test_setup_cpu_distributed_inits_gloo_and_chooses_cpu_wrapper(
        monkeypatch):
    """``--launcher pytorch`` in one process (the variables torchrun sets):
    gloo instead of the config's nccl, no CUDA device touched, and the CPU
    wrapper with mmengine's default DDP arguments."""
    for name, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                            MASTER_ADDR='127.0.0.1',
                            MASTER_PORT=str(_free_port())).items():
        monkeypatch.setenv(name, value)
    cfg = _cfg('pytorch', find_unused_parameters=True)
    cfg.env_cfg.dist_cfg.timeout = 60
    try:
        with mock.patch('torch.cuda.set_device') as set_device:
            assert setup_cpu_distributed(cfg) is True
        set_device.assert_not_called()
        assert torch.distributed.get_backend() == 'gloo'
        assert torch.distributed.get_world_size() == 1
        assert cfg.model_wrapper_cfg == dict(
            type='CPUDistributedDataParallel', broadcast_buffers=False,
            find_unused_parameters=True)
        # Initialised once: the Runner (and a second call) leave it alone.
        assert setup_cpu_distributed(_cfg('pytorch')) is False
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
