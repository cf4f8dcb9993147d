"""Generate the synthetic suprapatellar knee-ultrasound data set.

    python tools/dataset_converters/generate_synthetic_knee_us.py \
        --out data/knee_us --num-train 240 --num-val 60 --num-test 60 \
        --size 256 --seed 0 [--workers 2]

Writes ``{img_dir,ann_dir}/{train,val,test}/*.png`` (masks: 0 background,
1 effusion) and the nested label-fraction splits in ``splits/``.
"""
import argparse
import time

from ussl_mm.datasets.synthetic import generate_knee_us


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default='data/knee_us')
    p.add_argument('--num-train', type=int, default=240)
    p.add_argument('--num-val', type=int, default=60)
    p.add_argument('--num-test', type=int, default=60)
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--workers', type=int, default=1)
    p.add_argument('--p-effusion', type=float, default=0.8)
    p.add_argument('--fractions', type=float, nargs='+',
                   default=[1, 5, 10, 25, 50, 100])
    return p.parse_args()


def main():
    a = parse_args()
    t0 = time.perf_counter()
    res = generate_knee_us(a.out, a.num_train, a.num_val, a.num_test, a.size,
                           a.seed, a.workers, a.p_effusion, a.fractions)
    dt = time.perf_counter() - t0
    n = sum(len(v) for v in res.values())
    for split, rows in res.items():
        print(f'{split:5s}: {len(rows):5d} images, '
              f'{sum(p for _, p in rows)} with effusion')
    print(f'wrote {n} images in {dt:.1f} s ({n / dt:.0f} img/s) to {a.out}')


if __name__ == '__main__':
    main()
