# The real-MRI worked example (docs/mri_example.md): context-restoration
# pretraining vs from scratch, tiny U-Net, CPU scale, on the Colin27 T1
# template with AAL's caudate, putamen and thalamus.
#
#   apt-get install mricron-data        # /usr/share/mricron/templates
#   python tools/dataset_converters/mricron_to_layout.py --out data/mri_colin27
#   python tools/study.py configs/study/mri_colin27.py
#
# ONE SUBJECT: train = the volume + its left-right mirror, val = test = the
# volume. Test scores are optimistic by construction (the model has seen
# the test brain); the example checks that the recipe learns small, rare
# structures, it does not estimate accuracy on a new subject.
#
# The two rows differ only in the initialisation: the scratch row is the
# context-restoration benchmark with `pretrained_encoder=None`. The report
# gives per-class Dice over the test slices (slice-pooled) and per volume
# (Dice3D), and flags a row that never predicted a structure.
_unet = ('configs/context_restoration/benchmarks/'
         'unet-tiny_1xb8-adam-2000i_mri-colin27-128_context-restoration_cpu.py')
_classes = ['caudate', 'putamen', 'thalamus']
study = dict(
    name='mri_colin27',
    work_dir='work_dirs/mri_colin27',
    data_root='data/mri_colin27',
    # No synthetic stand-in: build the layout with the converter above.
    synthetic_if_absent=None,
    split_seed=0,
    # NiftiMRIDataset z-scores every volume: the configs' mean 0 / std 1
    # stay (the gray-level statistics are for 2-D images).
    data_stats=False,
    pretrain=dict(
        context_restoration=dict(
            config='configs/context_restoration/'
            'context-restoration_unet-tiny_1xb8-adam-120i_nifti-mri-128_cpu.py')),
    initialisations=dict(
        scratch=dict(config=_unet, cfg_options=dict(pretrained_encoder=None)),
        context_restoration=dict(
            config=_unet, pretrain='context_restoration')),
    baseline='scratch',
    best_supervised='scratch',
    # Two training volumes: the label fraction is the whole set.
    label_fractions=[100],
    seeds=[0],
    amp=True,
    # The config's own iterations; validate twice, test the best.
    schedule=dict(epochs=None, min_iters=0, num_vals=2, save_best='mDice'),
    finetune_cfg_options=dict(),
    report_metrics=['mIoU', 'mDice', 'mDice3D'] +
    [f'Dice.{c}' for c in _classes] + [f'Dice3D.{c}' for c in _classes] +
    ['Dice.structures', 'Dice3D.structures'],
    primary_metric='mDice',
    practical_threshold=1.0,
    clinical=True,
    # t-SNE reads 2-D images (LoadUSImage); not for NIfTI volumes.
    tsne=dict(enabled=False),
)
