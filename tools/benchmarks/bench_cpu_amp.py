"""Measure a ResNet training step on CPU: fp32 vs bf16 autocast (+channels_last).

Drives the real :class:`ussl_mm.engine.optimizers.CPUAmpOptimWrapper`, so the
figure is what ``tools/train.py --amp`` gives on CPU.

Example::

    python tools/benchmarks/bench_cpu_amp.py --depth 18 --size 128 --batch 16
"""
import argparse
import time

import torch
from mmengine.optim import OptimWrapper
from mmpretrain.models import ResNet

import ussl_mm  # noqa: F401
from ussl_mm.engine.optimizers import CPUAmpOptimWrapper


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--depth', type=int, default=18)
    parser.add_argument('--size', type=int, default=128)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    return parser.parse_args()


class _Net(torch.nn.Module):

    def __init__(self, depth):
        super().__init__()
        self.backbone = ResNet(depth=depth)
        self.fc = torch.nn.LazyLinear(10)

    def forward(self, x):
        feat = self.backbone(x)[-1].mean((2, 3))
        return self.fc(feat)


def bench(mode, args):
    torch.manual_seed(0)
    model = _Net(args.depth)
    x = torch.randn(args.batch, 3, args.size, args.size)
    y = torch.randint(0, 10, (args.batch, ))
    model(x[:1])  # materialise the lazy layer
    optim = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    if mode == 'fp32':
        wrapper = OptimWrapper(optimizer=optim)
    else:
        wrapper = CPUAmpOptimWrapper(
            optimizer=optim, channels_last=(mode == 'bf16+channels_last'))
    times = []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        with wrapper.optim_context(model):
            loss = torch.nn.functional.cross_entropy(model(x).float(), y)
        wrapper.update_params(loss)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main():
    args = parse_args()
    print(f'ResNet-{args.depth}, batch {args.batch}, {args.size}px, '
          f'{torch.get_num_threads()} threads, median of {args.steps} steps')
    base = None
    for mode in ('fp32', 'bf16', 'bf16+channels_last'):
        t = bench(mode, args)
        base = base or t
        print(f'{mode:>20s}: {t * 1000:8.1f} ms/step  '
              f'({args.batch / t:6.1f} img/s, x{base / t:.2f} vs fp32)')


if __name__ == '__main__':
    main()
