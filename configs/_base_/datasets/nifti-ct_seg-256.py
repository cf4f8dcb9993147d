# Labelled CT slices (3 HU windows, z-scored per channel and volume) for
# U-Net fine-tuning. Same pipelines as MRI.
_base_ = ['./nifti_mri_seg.py']

data_root = 'data/nifti_ct'
train_dataloader = dict(
    dataset=dict(type='NiftiCTDataset', data_root=data_root))
val_dataloader = dict(
    dataset=dict(type='NiftiCTDataset', data_root=data_root))
test_dataloader = dict(
    dataset=dict(type='NiftiCTDataset', data_root=data_root))
