"""Run a label-efficiency study: pretrain -> fine-tune at label fractions x
seeds x initialisations (x pretraining-set sizes) -> test -> one report
(``<work_dir>/results.md``).

Every run is a ``tools/train.py`` / ``tools/test.py`` command line, logged
and run in-process through the same builder (``ussl_mm.apis``): paste a
logged command to reproduce one run. Re-running the same command skips
finished runs and resumes interrupted ones (mmengine's ``--resume``).

Examples::

    # the quickstart preset
    python tools/study.py configs/study/quickstart_knee_us.py
    # the label-fraction curve on your own data
    python tools/study.py configs/study/label_curve_knee_us.py \\
        --data-root data/my_us
    # what would run, without running it
    python tools/study.py configs/study/quickstart_knee_us.py --dry-run
"""
import argparse
import os
import os.path as osp
import sys
import time

from mmengine.config import Config, DictAction

from ussl_mm.apis import format_command
from ussl_mm.study import LabelEfficiencyStudy, StudySpec, build_report
from ussl_mm.study.data import prepare_study_data
from ussl_mm.study.env import collect_study_env
from ussl_mm.utils.atomic import atomic_write_text


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Run a label-efficiency study')
    parser.add_argument('study', help='study config (configs/study/*.py)')
    parser.add_argument('--work-dir', help='override study.work_dir')
    parser.add_argument(
        '--data-root',
        help='your data set (img_dir/, ann_dir/ [, splits/]); must exist. '
        'Overrides study.data_root; the synthetic default is then never '
        'generated')
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
        help='override study settings, e.g. study.seeds=[0,1,2]')
    return parser.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    overrides = dict(args.cfg_options or {})
    data_root = args.data_root or overrides.get('study.data_root')
    if data_root is not None:
        if not osp.isdir(data_root):
            raise SystemExit(
                f'--data-root {data_root}: no such folder. Give the root of '
                'your data set (img_dir/{train,val,test}, ann_dir/...).')
        overrides['study.data_root'] = data_root
        overrides['study.synthetic_if_absent'] = None
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
        return None
    t0 = time.time()
    os.makedirs(spec.work_dir, exist_ok=True)
    cfg = Config.fromfile(args.study)
    if overrides:
        cfg.merge_from_dict(overrides)
    atomic_write_text(osp.join(spec.work_dir, 'study_config.py'),
                      cfg.pretty_text)
    prepare_study_data(spec, log=print)
    records = study.run()
    tsne = study.run_tsne()
    report = build_report(
        records, spec, main_size=study.main_size, tsne=tsne,
        env=collect_study_env(),
        command=format_command('tools/study.py', argv),
        pretrain_records=study.pretrain_records)
    print('\n' + report)
    print(f'Wrote {osp.join(spec.work_dir, "results.md")} (tables, figures, '
          f'commands) in {(time.time() - t0) / 60:.1f} min.')
    return records


if __name__ == '__main__':
    main()
