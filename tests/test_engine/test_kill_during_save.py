"""``tools/train.py`` killed (SIGKILL) at random moments around its
checkpoint saves, then resumed with ``--resume``, again and again: every
resume succeeds, and the final weights equal those of the run that was
never killed, bit for bit (FCN with dropout, ``max_keep_ckpts=1`` as the
study uses, a validation with ``save_best`` every 8 iterations).

Each run is a forked child of the test process, forked after the Runner
of ``tools/train.py <config> --resume`` is built (``build_train_cfg``,
``Runner.from_cfg``): a fresh interpreter costs seconds of imports and the
Runner seconds of config formatting per try. The child does the rest of
``tools/train.py``: :func:`~ussl_mm.apis.run.check_train_checkpoint` and
``runner.train()``, which finds the latest checkpoint and resumes from it.
mmengine's own hook fails these tests: run them with
``USSL_TEST_CHECKPOINT_HOOK=CheckpointHook`` to see it.
"""
import os
import os.path as osp
import random
import select
import signal
import sys
import time
import traceback

import pytest
import torch
from mmengine.hooks import Hook
from resume_configs import tiny_fcn

from mmengine.runner import Runner

from ussl_mm.apis import build_train_cfg, parse_train_args
from ussl_mm.apis.run import check_train_checkpoint

HOOK = os.environ.get('USSL_TEST_CHECKPOINT_HOOK', 'AtomicCheckpointHook')
MAX_ITERS = 32
KILLS = 20


class _Report(Hook):
    """Tells the parent (one line per event, through the pipe ``fd`` that
    the forked child sets) where the child starts and when a checkpoint is
    about to be written."""
    priority = 'LOWEST'
    fd = None

    def before_train(self, runner):
        os.write(self.fd, f'start {runner.iter}\n'.encode())

    def before_save_checkpoint(self, runner, checkpoint):
        os.write(self.fd, b'save\n')


def _argv(config, work_dir, root, resume):
    argv = [config, '--work-dir', work_dir, '--data-root', root,
            '--cfg-options', f'default_hooks.checkpoint.type={HOOK}']
    return argv + (['--resume'] if resume else [])


def _runner(argv):
    """The Runner of a tools/train.py command line, not trained yet, with
    the reporting hook; forked children train it."""
    cfg = build_train_cfg(parse_train_args(argv))
    runner = Runner.from_cfg(cfg)
    runner.register_hook(_Report())
    return runner, cfg


def _child(built, fd, log, inject=None):
    """The body of a forked child: the rest of tools/train.py; exit 0 when
    training ends, 1 with the traceback in ``log + '.err'``."""
    code = 1
    try:
        out = open(log, 'a', buffering=1)
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        sys.stdout = sys.stderr = out
        torch.set_num_threads(1)
        _Report.fd = fd
        if inject is not None:
            inject()
        runner, cfg = built
        check_train_checkpoint(runner, cfg)
        runner.train()
        code = 0
    except BaseException:  # noqa: B902 - reported to the parent
        with open(log + '.err', 'w') as f:
            f.write(traceback.format_exc())
    finally:
        os._exit(code)


def _start(built, log, inject=None):
    """Fork a child training ``built`` (from :func:`_runner`); returns
    ``(pid, read end)``."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _child(built, w, log, inject)
    os.close(w)
    return pid, r


def _lines(r, timeout):
    """Lines from the child until EOF or ``timeout`` seconds."""
    buf = b''
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([r], [], [], end - time.monotonic())
        if not ready:
            break
        chunk = os.read(r, 4096)
        if not chunk:
            break
        buf += chunk
        while b'\n' in buf:
            line, buf = buf.split(b'\n', 1)
            yield line.decode()


def _wait(pid, r, log):
    _, status = os.waitpid(pid, 0)
    os.close(r)
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    code = os.WEXITSTATUS(status)
    if code != 0:
        err = log + '.err'
        msg = open(err).read() if osp.isfile(err) else '(no traceback)'
        pytest.fail(f'the training child failed (exit {code}):\n{msg}')
    return code


def _run_to_end(built, log, timeout=120):
    pid, r = _start(built, log)
    starts = [int(ln.split()[1]) for ln in _lines(r, timeout)
              if ln.startswith('start')]
    assert _wait(pid, r, log) == 0
    return starts


def _final_weights(work_dir):
    return torch.load(osp.join(work_dir, f'iter_{MAX_ITERS}.pth'),
                      map_location='cpu')['state_dict']


def _assert_identical(reference, resumed):
    differ = [k for k in reference if not torch.equal(reference[k],
                                                      resumed[k])]
    assert not differ, (f'{len(differ)}/{len(reference)} tensors differ '
                        f'from the uninterrupted run, first: {differ[:5]}')


@pytest.fixture(scope='module')
def setup(knee_us_data, tmp_path_factory):
    """The tiny FCN config, its data and the weights of the uninterrupted
    run (a forked child too, so that both sides run alike)."""
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp('kill')
    root = str(knee_us_data(num_train=8, num_val=2, num_test=2, size=64,
                            fractions=None))
    config = tiny_fcn(tmp / 'fcn.py', max_iters=MAX_ITERS, val_interval=8)
    ref = str(tmp / 'ref')
    _run_to_end(_runner(_argv(config, ref, root, resume=False)),
                str(tmp / 'ref.log'))
    return dict(config=config, root=root, reference=_final_weights(ref),
                tmp=tmp)


def test_random_kills_around_saves_then_resume_is_bit_exact(setup,
                                                            tmp_path):
    torch.set_num_threads(1)
    rng = random.Random(0)
    work = str(tmp_path / 'work')
    log = str(tmp_path / 'train.log')
    built = _runner(_argv(setup['config'], work, setup['root'], resume=True))
    kills, starts = 0, []
    for _ in range(3 * KILLS):
        if kills == KILLS:
            break
        pid, r = _start(built, log)
        # Kill at a random moment up to 60 ms after the first save this
        # child announces: while the checkpoint is serialised, written,
        # renamed, last_checkpoint replaced, the old file removed, or in
        # the next iteration.
        for line in _lines(r, 120):
            if line.startswith('start'):
                starts.append(int(line.split()[1]))
            elif line == 'save':
                time.sleep(rng.uniform(0, 0.06))
                os.kill(pid, signal.SIGKILL)
                break
        if _wait(pid, r, log) == -signal.SIGKILL:
            kills += 1
    assert kills == KILLS, f'only {kills} kills before the run ended'
    starts += _run_to_end(built, log)
    # Every child resumed (and made progress over the previous one).
    assert starts[0] == 0 and len(starts) == KILLS + 1
    assert starts == sorted(starts) and starts[-1] > 0
    assert not [n for n in os.listdir(work) if n.endswith('.tmp')]
    _assert_identical(setup['reference'], _final_weights(work))


def _kill_self():
    os.kill(os.getpid(), signal.SIGKILL)


def _inject(point, nth=6):
    """Patch, in the child only, the step of a save at which it kills
    itself (SIGKILL), at the ``nth`` such step."""
    from mmengine.fileio.backends import local_backend
    seen = [0]

    def due():
        seen[0] += 1
        return seen[0] == nth

    if point == 'mid-write':
        put = local_backend.LocalBackend.put

        def half_put(self, obj, filepath):
            if str(filepath).endswith(('.pth', '.tmp')) and due():
                with open(filepath, 'wb') as f:
                    f.write(obj[:len(obj) // 2])
                    f.flush()
                    os.fsync(f.fileno())
                _kill_self()
            return put(self, obj, filepath)

        local_backend.LocalBackend.put = half_put
        return
    replace, remove = os.replace, local_backend.LocalBackend.remove
    if point in ('before-rename', 'before-last_checkpoint'):
        suffix = '.pth' if point == 'before-rename' else 'last_checkpoint'

        def killing_replace(src, dst, *args, **kwargs):
            if str(dst).endswith(suffix) and due():
                _kill_self()
            return replace(src, dst, *args, **kwargs)

        os.replace = killing_replace
    elif point == 'before-removal':

        def killing_remove(self, filepath):
            if str(filepath).endswith('.pth') and due():
                _kill_self()
            return remove(self, filepath)

        local_backend.LocalBackend.remove = killing_remove


POINTS = ('mid-write', 'before-rename', 'before-last_checkpoint',
          'before-removal')


def test_kill_at_each_step_of_a_save_then_resume_is_bit_exact(
        setup, tmp_path):
    """The kill lands exactly in each window of a save, one run after the
    other: half of the checkpoint written, written but not renamed, renamed
    but last_checkpoint not updated, updated but the old file not removed.
    After each, ``--resume`` continues; the last run ends with the weights
    of the uninterrupted run."""
    torch.set_num_threads(1)
    work = str(tmp_path / 'work')
    log = str(tmp_path / 'train.log')
    built = _runner(_argv(setup['config'], work, setup['root'], resume=True))
    starts = []
    for point in POINTS:
        pid, r = _start(built, log,
                        inject=lambda p=point: _inject(p, nth=2))
        starts += [int(ln.split()[1]) for ln in _lines(r, 120)
                   if ln.startswith('start')]
        assert _wait(pid, r, log) == -signal.SIGKILL, (
            f'the child was not killed at {point}')
        assert [n for n in os.listdir(work) if n.endswith('.pth')], (
            f'no checkpoint left after a kill at {point}')
    starts += _run_to_end(built, log)
    assert starts[0] == 0 and all(b > a for a, b in zip(starts, starts[1:])
                                  ), f'a run did not resume: {starts}'
    _assert_identical(setup['reference'], _final_weights(work))
