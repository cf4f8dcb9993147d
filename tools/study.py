"""Run a label-efficiency study (pretrain -> fine-tune at label fractions x
seeds x initialisations -> test -> report).

Resumable: re-running the same command skips finished runs and resumes an
interrupted one from its last checkpoint.

Examples::

    # the quickstart preset (CPU-scale, ~10 min on 2 cores)
    python tools/study.py configs/study/quickstart_knee_us.py
    # more fractions and seeds, same preset
    python tools/study.py configs/study/quickstart_knee_us.py \
        --fractions 1 5 10 25 100 --seeds 0 1 2
    # what would run, without running it
    python tools/study.py configs/study/quickstart_knee_us.py --dry-run
"""
import argparse
import os.path as osp
import time

from mmengine.config import DictAction

from ussl_mm.study import LabelEfficiencyStudy, StudySpec, build_report
from ussl_mm.study.data import prepare_study_data


def parse_args():
    parser = argparse.ArgumentParser(
        description='Run a label-efficiency study')
    parser.add_argument('study', help='study config (configs/study/*.py)')
    parser.add_argument('--work-dir', help='override study.work_dir')
    parser.add_argument(
        '--fractions', type=float, nargs='+', help='label fractions (%%)')
    parser.add_argument('--seeds', type=int, nargs='+', help='seeds')
    parser.add_argument(
        '--no-amp', action='store_true',
        help='train in fp32 (default: bf16 autocast on CPU, fp16 on GPU)')
    parser.add_argument(
        '--dry-run', action='store_true', help='print the plan and exit')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override study settings, e.g. study.data_root=data/my_us')
    return parser.parse_args()


def main():
    args = parse_args()
    overrides = dict(args.cfg_options or {})
    if args.work_dir:
        overrides['study.work_dir'] = args.work_dir
    if args.fractions:
        overrides['study.label_fractions'] = args.fractions
    if args.seeds:
        overrides['study.seeds'] = args.seeds
    if args.no_amp:
        overrides['study.amp'] = False
    spec = StudySpec.fromfile(args.study, overrides)
    study = LabelEfficiencyStudy(spec)
    if args.dry_run:
        print(study.describe())
        return
    t0 = time.time()
    prepare_study_data(spec, log=print)
    records = study.run()
    report = build_report(
        records,
        baseline=spec.baseline,
        work_dir=spec.work_dir,
        report_metrics=spec.report_metrics,
        primary_metric=spec.primary_metric,
        title=f'Label-efficiency study: {spec.name}')
    print('\n' + report)
    print(f'Wrote {osp.join(spec.work_dir, "results.md")}, results.csv, '
          f'results.png in {(time.time() - t0) / 60:.1f} min.')


if __name__ == '__main__':
    main()
