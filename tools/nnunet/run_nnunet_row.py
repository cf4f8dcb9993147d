"""Run the nnU-Net 2D baseline row on a ussl_mm data root and score it with
ussl_mm's metrics.

    pip install -e '.[nnunet]'          # once: the optional extra
    python tools/nnunet/run_nnunet_row.py --data-root data/knee_us \
        --label-fraction 5 --seed 0 --work-dir work_dirs/nnunet/5pct_seed0 \
        [--trainer nnUNetTrainer_5epochs] [--device cpu] [--clinical]

Converts the data root and label fraction to an nnU-Net raw data set (one
fold: the fraction / our val split), runs nnU-Net's plan_and_preprocess,
train (2d, fold 0) and predict on the test split with nnUNet_raw/
nnUNet_preprocessed/nnUNet_results inside --work-dir, and writes
``metrics.json`` and ``per_image.json`` there (see docs/baselines.md).
Re-running skips the finished stages.
"""
import argparse
import json
import os.path as osp

from mmengine.logging import MMLogger

from ussl_mm.baselines.nnunet import DEFAULT_EVALUATOR, run_nnunet_row


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', required=True)
    p.add_argument('--work-dir', required=True,
                   help='folder of this row (one per fraction and seed)')
    p.add_argument('--label-fraction', type=float, default=None,
                   help='percent of the labelled training images '
                   '(splits/train_{pct}pct.txt); default: all')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--trainer', default='nnUNetTrainer_5epochs',
                   help="nnU-Net trainer class: 'nnUNetTrainer_5epochs' "
                   "(CPU scale), 'nnUNetTrainer' (1000 epochs, GPU scale), "
                   'any shipped nnUNetTrainer_{N}epochs, or one in '
                   '--trainer-dir')
    p.add_argument('--trainer-dir', default=None,
                   help='folder of extra trainer classes (nnUNet_extTrainer)')
    p.add_argument('--device', default='cpu', choices=('cpu', 'cuda', 'mps'))
    p.add_argument('--dataset-type', default='KneeUSDataset',
                   help='ussl_mm dataset class (mmseg registry)')
    p.add_argument('--classes', nargs='+', default=None,
                   help='class names, when the dataset class has none')
    p.add_argument('--split-dir', default='splits')
    p.add_argument('--img-suffix', default='.png')
    p.add_argument('--seg-map-suffix', default='.png')
    p.add_argument('--num-processes', type=int, default=1,
                   help='nnU-Net preprocessing/export processes')
    p.add_argument('--num-workers-da', type=int, default=0,
                   help='nnU-Net augmentation workers (nnUNet_n_proc_DA); '
                   '0 keeps a seeded run repeatable')
    p.add_argument('--disable-tta', action='store_true',
                   help='predict without mirroring')
    p.add_argument('--clinical', action='store_true',
                   help='also score with ClinicalMetric (region size and '
                   'intensity errors; clinical.json in --work-dir)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import ussl_mm  # noqa: F401  (registers datasets, transforms, metrics)
    MMLogger.get_instance('ussl_mm_nnunet', log_level='INFO')
    evaluator = [dict(m) for m in DEFAULT_EVALUATOR]
    if args.clinical:
        from ussl_mm.evaluation import add_clinical_metric
        evaluator = add_clinical_metric(
            evaluator,
            per_image_file=osp.join(osp.abspath(args.work_dir),
                                    'clinical.json'))
    res = run_nnunet_row(
        args.data_root,
        args.work_dir,
        label_fraction=args.label_fraction,
        seed=args.seed,
        trainer=args.trainer,
        device=args.device,
        dataset_type=args.dataset_type,
        classes=args.classes,
        split_dir=args.split_dir,
        img_suffix=args.img_suffix,
        seg_map_suffix=args.seg_map_suffix,
        evaluator=evaluator,
        trainer_dir=args.trainer_dir,
        num_processes=args.num_processes,
        num_workers_da=args.num_workers_da,
        disable_tta=args.disable_tta)
    summary = {k: v for k, v in res['metrics'].items()
               if not k.startswith('never_predicted.')}
    print(json.dumps(dict(metrics=summary, nnunet=res['nnunet'],
                          num_cases=res['num_cases'],
                          seconds=res['seconds']), indent=1))
    print(f'per-image records: {osp.join(res["work_dir"], "per_image.json")}')


if __name__ == '__main__':
    main()
