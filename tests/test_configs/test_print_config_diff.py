"""tools/analysis_tools/print_config_diff.py: every difference as a dotted
path, nothing for configs that build the same Runner."""
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis_tools'))

from print_config_diff import diff, main, normalise  # noqa: E402


def _write(path, text):
    path.write_text(text)
    return str(path)


def test_differences_are_dotted_paths(tmp_path, capsys):
    old = _write(tmp_path / 'old.py',
                 "model = dict(a=1, b=[dict(c=2), 3])\nx = (1, 2)\n")
    new = _write(tmp_path / 'new.py',
                 "model = dict(a=1, b=[dict(c=5), 3], d=0)\nx = [1, 2]\n")
    assert main([old, new]) == 1
    out = capsys.readouterr().out
    assert 'model.b.0.c: 2 -> 5' in out
    assert "model.d: '<missing>' -> 0" in out
    assert not any(line.startswith('x') for line in out.splitlines())
    assert '2 difference(s)' in out
    assert main([old, old]) == 0


def test_runner_normalisation():
    # The top-level data_preprocessor is what the Runner merges into a model
    # without one; _scope_ keys of library bases change nothing built.
    a = dict(model=dict(type='M'), data_preprocessor=dict(mean=[1]),
             helper=3)
    b = dict(model=dict(type='M', data_preprocessor=dict(mean=[1]),
                        _scope_='mmseg'))
    assert list(diff(normalise(a, runner_keys=True),
                     normalise(b, runner_keys=True))) == []
    assert list(diff(normalise(dict(a)), normalise(dict(b)))) == [
        ('helper', 3, '<missing>')
    ]
    # A model with its own preprocessor keeps it.
    c = dict(model=dict(type='M', data_preprocessor=dict(mean=[2])),
             data_preprocessor=dict(mean=[1]))
    assert normalise(c)['model']['data_preprocessor'] == dict(mean=[2])
