import json

import cv2

import pytest

from ussl_mm.datasets.splits import (ensure_fraction_splits,
                                     fraction_splits_from_folder,
                                     nested_fraction_splits)


def _data(n=300, pos_every=4):
    names = [f'case_{i:04d}' for i in range(n)]
    positive = [i % pos_every != 0 for i in range(n)]
    return names, positive


def test_nested_deterministic_stratified():
    names, positive = _data()
    s = nested_fraction_splits(names, positive, seed=3)
    assert sorted(s) == [1, 5, 10, 25, 50, 100]
    pcts = sorted(s)
    for a, b in zip(pcts, pcts[1:]):
        assert set(s[a]) < set(s[b]), (a, b)
    assert sorted(s[100]) == sorted(names)
    assert len(s[50]) == 150 and len(s[1]) == 3
    pos = {n for n, p in zip(names, positive) if p}
    # 75 % of the source is positive; each subset keeps that share
    assert sum(n in pos for n in s[50]) == round(0.75 * 150)
    # determinism, independent of listing order; another seed differs
    rev = nested_fraction_splits(names[::-1], positive[::-1], seed=3)
    assert rev == s
    assert nested_fraction_splits(names, positive, seed=4)[10] != s[10]


def test_at_least_one_item_and_one_positive():
    names = [f'v{i}' for i in range(20)]
    positive = [i == 7 for i in range(20)]
    s = nested_fraction_splits(names, positive, fractions=(1, 5))
    assert s[1] == ['v7'] and 'v7' in s[5]
    s = nested_fraction_splits(names, [False] * 20, fractions=(1, ))
    assert len(s[1]) == 1


def test_bad_inputs():
    with pytest.raises(ValueError, match='empty'):
        nested_fraction_splits([], [])
    with pytest.raises(ValueError, match='Duplicate'):
        nested_fraction_splits(['a', 'a'], [True, False])
    with pytest.raises(ValueError, match='percentages'):
        nested_fraction_splits(['a'], [True], fractions=(0, ))


def test_folder_splits_and_manifest(knee_root, tmp_path):
    man = json.load(open(knee_root / 'splits' / 'manifest.json'))
    assert man['seed'] == 0 and man['num_source'] == 40
    assert man['fractions']['100']['count'] == 40
    lines = {p: (knee_root / 'splits' / f'train_{p}pct.txt').read_text()
             .split() for p in (1, 5, 10, 25, 50, 100)}
    assert set(lines[5]) <= set(lines[10]) <= set(lines[100])
    pos = {n for n in lines[100] if cv2.imread(
        str(knee_root / 'ann_dir' / 'train' / f'{n}.png'), 0).any()}
    assert man['fractions']['25']['positives'] == len(pos & set(lines[25]))
    assert man['num_source_positive'] == len(pos)
    # recomputing from masks reproduces the generator's files
    before = {p: list(v) for p, v in lines.items()}
    fraction_splits_from_folder(str(knee_root), seed=0)
    for p, v in before.items():
        assert (knee_root / 'splits' / f'train_{p}pct.txt').read_text()\
            .split() == v
    msgs = []
    ensure_fraction_splits(str(knee_root), seed=0, log=msgs.append)
    assert msgs == []  # nothing rewritten
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        fraction_splits_from_folder(str(tmp_path))
