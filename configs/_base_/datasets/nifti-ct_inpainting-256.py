# Unlabelled CT slices (3 HU windows: W/L 400/50, 1800/40, 500/50, each
# z-scored per volume) for inpainting pretraining. Same pipeline as MRI.
_base_ = ['./nifti_mri_inpainting.py']

data_root = 'data/nifti_ct'
train_dataloader = dict(
    dataset=dict(type='mmseg.NiftiCTDataset', data_root=data_root))
