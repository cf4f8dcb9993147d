# CPU study scale of nifti-ct_inpainting-256.py: 128 px, batch 8, data
# loaded in the main process (see knee-us_2view-128.py). Like it, CT data on
# the MRI recipe; it inherits nifti-mri_inpainting-256.py directly and
# states both the CT data and the size, so that its leaves stay within three
# files.
_base_ = ['./nifti-mri_inpainting-256.py']

data_root = 'data/nifti_ct'
crop_size = (128, 128)
train_pipeline = _base_.train_pipeline
train_pipeline[0].crop_size = crop_size  # RandomCrop
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='mmseg.NiftiCTDataset',
        data_root=data_root,
        pipeline=train_pipeline))
