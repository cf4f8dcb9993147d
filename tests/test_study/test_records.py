"""A study never reports a number that no file backs: records name the
checkpoint they belong to (size, SHA-256), a record that no longer matches
is redone and logged as such, a corrupt record names its file and what to
delete; and a study killed in the middle of a run and run again reports the
same table, to the last digit, as one that was never interrupted.

The studies run in forked children of the test process (tools/study.py's
``main``), so that one can be killed."""
import contextlib
import importlib.util
import io
import json
import os
import os.path as osp
import shutil
import signal
import sys
import time
import traceback

import pytest
import torch
from mmengine.config import Config
from resume_configs import tiny_fcn
from tiny_study import REPO, tiny_study_dict

TOOL = osp.join(REPO, 'tools', 'study.py')
RUN = osp.join('runs', 'scratch_100pct_seed1')


def _tool():
    spec = importlib.util.spec_from_file_location('study_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _study_file(path, config, root, work_dir):
    """A scratch-only study of the tiny FCN: seeds 0 and 1, 8 iterations
    each (8 images, batch 2, 2 epochs), validated at 4 and 8."""
    study = tiny_study_dict(
        dict(pretrain=None, scratch=config, densecl=None), root, work_dir,
        pretrain={},
        initialisations=dict(scratch=dict(config=config)),
        seeds=[0, 1],
        schedule=dict(epochs=2, min_iters=2, num_vals=2,
                      save_best='mDice'),
        tsne=dict(enabled=False),
        clinical=False)
    Config(dict(study=study)).dump(str(path))
    return str(path)


def _fork_study(cfg_file, log):
    """tools/study.py CFG_FILE in a forked child; returns its pid."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            out = open(log, 'a', buffering=1)
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
            sys.stdout = sys.stderr = out
            torch.set_num_threads(1)
            _tool().main([cfg_file])
            code = 0
        except BaseException:  # noqa: B902 - reported to the parent
            with open(log + '.err', 'w') as f:
                f.write(traceback.format_exc())
        finally:
            os._exit(code)
    return pid


def _wait(pid, log):
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    if os.WEXITSTATUS(status):
        err = log + '.err'
        pytest.fail('the study failed:\n' + (
            open(err).read() if osp.isfile(err) else '(no traceback)'))
    return 0


def _results_table(work_dir):
    md = open(osp.join(work_dir, 'results.md')).read()
    start = md.index('## Results')
    table = md[start:md.index('\n## ', start + 1)]
    return table.replace(work_dir, '<work>')


def _records(work_dir):
    keep = ('init', 'label_fraction', 'seed', 'metrics', 'iters',
            'best_iter', 'best_score')
    records = json.load(open(osp.join(work_dir, 'records.json')))
    return [{k: r[k] for k in keep} for r in records]


@pytest.fixture(scope='module')
def finished(tiny_knee, tmp_path_factory):
    """The tiny study, run once without interruption."""
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp('records')
    config = tiny_fcn(tmp / 'fcn.py')
    work = str(tmp / 'work')
    cfg_file = _study_file(tmp / 'study.py', config, tiny_knee, work)
    log = str(tmp / 'study.log')
    assert _wait(_fork_study(cfg_file, log), log) == 0
    return dict(config=config, work=work, root=tiny_knee, tmp=tmp)


def test_a_study_killed_mid_run_reports_the_same_table(finished, tmp_path):
    torch.set_num_threads(1)
    work = str(tmp_path / 'work')
    cfg_file = _study_file(tmp_path / 'study.py', finished['config'],
                           finished['root'], work)
    log = str(tmp_path / 'study.log')
    pid = _fork_study(cfg_file, log)
    # Kill (SIGKILL) as soon as the second run has its checkpoint of
    # iteration 4 (written after that iteration's validation): in the
    # middle of its training.
    record = osp.join(work, RUN, 'last_checkpoint')
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if osp.isfile(record) and 'iter_4' in open(record).read():
            os.kill(pid, signal.SIGKILL)
            break
        if os.waitpid(pid, os.WNOHANG)[0]:
            pytest.fail('the study ended before it could be killed')
        time.sleep(0.01)
    assert _wait(pid, log) == -signal.SIGKILL
    assert not osp.isfile(osp.join(work, RUN, 'done.json'))
    assert not osp.isfile(osp.join(work, 'records.json'))
    # Run again: the first run is reused, the second resumes at 4.
    assert _wait(_fork_study(cfg_file, log), log) == 0
    text = open(log).read()
    assert 'already trained' in text
    assert 'resumed epoch: 0, iter: 4' in text
    assert _records(work) == _records(finished['work'])
    assert _results_table(work) == _results_table(finished['work'])


@pytest.fixture
def copy(finished, tmp_path):
    """A copy of the finished study (paths in its records and configs
    rewritten), to break."""
    work = str(tmp_path / 'work')
    shutil.copytree(finished['work'], work)
    for folder, _, names in os.walk(work):
        for name in names:
            path = osp.join(folder, name)
            if name.endswith(('.json', '.py', '.md', '.csv')) or \
                    name == 'last_checkpoint':
                text = open(path).read()
                with open(path, 'w') as f:
                    f.write(text.replace(finished['work'], work))
    cfg_file = _study_file(tmp_path / 'study.py', finished['config'],
                           finished['root'], work)
    return dict(work=work, cfg_file=cfg_file,
                run=osp.join(work, RUN))


def _rerun(copy):
    """tools/study.py in this process; returns the records and the log."""
    torch.set_num_threads(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        records = _tool().main([copy['cfg_file']])
    return records, out.getvalue()


def _done(copy):
    return json.load(open(osp.join(copy['run'], 'done.json')))


def test_records_name_their_checkpoint(copy):
    done = _done(copy)
    fp = done['checkpoint_file']
    assert fp['path'] == done['checkpoint'] and osp.isfile(fp['path'])
    assert fp['size'] == osp.getsize(fp['path']) and len(fp['sha256']) == 64
    scored = json.load(open(osp.join(copy['run'], 'test',
                                     'test_metrics.json')))
    assert scored['checkpoint']['sha256'] == fp['sha256']
    assert 'mIoU' in scored
    # A second run reuses everything.
    records, log = _rerun(copy)
    assert '$ python' not in log and log.count('already trained') == 2
    assert 'redone' not in log


def test_done_json_of_a_deleted_checkpoint_is_redone(finished, copy):
    before = _done(copy)
    os.remove(before['checkpoint'])
    records, log = _rerun(copy)
    assert f'redone: {copy["run"]}: its checkpoint {before["checkpoint"]} ' \
        'does not exist' in log
    after = _done(copy)
    assert osp.isfile(after['checkpoint'])
    # Retrained from scratch: the same weights, hence the same numbers;
    # the test was redone for the new file.
    assert _records(copy['work']) == _records(finished['work'])
    scored = json.load(open(osp.join(copy['run'], 'test',
                                     'test_metrics.json')))
    assert scored['checkpoint']['sha256'] == after['checkpoint_file'][
        'sha256']
    stale = [n for n in os.listdir(copy['run']) if n.startswith('stale_')]
    assert len(stale) == 1 and 'done.json' in os.listdir(
        osp.join(copy['run'], stale[0]))


def test_deleted_checkpoints_and_last_checkpoint_retrain_and_retest(copy):
    """The old test_metrics.json is not reported for a run trained again:
    the test is redone for the new checkpoint."""
    run = copy['run']
    for name in os.listdir(run):
        if name.endswith('.pth') or name == 'last_checkpoint':
            os.remove(osp.join(run, name))
    metrics_file = osp.join(run, 'test', 'test_metrics.json')
    old = json.load(open(metrics_file))
    old['mIoU'] = -1.0  # a number that no checkpoint backs
    with open(metrics_file, 'w') as f:
        json.dump(old, f)
    records, log = _rerun(copy)
    assert 'redone' in log and '$ python tools/train.py' in log
    assert '$ python tools/test.py' in log
    seed1 = [r for r in records if r['seed'] == 1][0]
    assert seed1['metrics']['mIoU'] >= 0


def test_metrics_of_another_checkpoint_are_retested(copy):
    metrics_file = osp.join(copy['run'], 'test', 'test_metrics.json')
    old = json.load(open(metrics_file))
    real = old['mIoU']
    old['mIoU'] = -1.0
    old['checkpoint']['sha256'] = '0' * 64
    with open(metrics_file, 'w') as f:
        json.dump(old, f)
    records, log = _rerun(copy)
    assert f'redone: the test in {osp.dirname(metrics_file)}: it scored' \
        in log
    assert '$ python tools/train.py' not in log
    seed1 = [r for r in records if r['seed'] == 1][0]
    assert seed1['metrics']['mIoU'] == real


@pytest.mark.parametrize('name', ['done.json', 'test/test_metrics.json'])
@pytest.mark.parametrize('content', ['', '{"checkpoint": '])
def test_a_corrupt_record_names_its_file_and_what_to_delete(copy, name,
                                                            content):
    from ussl_mm.study.records import CorruptRecordError
    path = osp.join(copy['run'], name)
    with open(path, 'w') as f:
        f.write(content)
    with pytest.raises(CorruptRecordError) as err:
        _rerun(copy)
    msg = str(err.value)
    assert path in msg and f'Delete {path}' in msg
    assert ('is empty' if not content else 'is not valid JSON') in msg


def test_runs_trained_before_the_atomic_hook_are_still_current(copy):
    """A run finished before this release dumped mmengine's CheckpointHook
    and no load_from_strict: that trains the same, so it is reused, not
    refused as stale."""
    dump = osp.join(copy['run'], 'fcn.py')
    text = open(dump).read()
    assert "type='AtomicCheckpointHook'" in text
    text = text.replace("type='AtomicCheckpointHook'", "type='CheckpointHook'")
    text = text.replace('load_from_strict = True\n', '')
    with open(dump, 'w') as f:
        f.write(text)
    records, log = _rerun(copy)
    assert '$ python tools/train.py' not in log
    assert log.count('already trained') == 2
