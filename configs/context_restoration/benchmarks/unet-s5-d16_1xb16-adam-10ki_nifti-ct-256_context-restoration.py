# U-Net fine-tuning on CT slices (3 HU windows) from the CT context-
# restoration checkpoint. Same recipe and sweeps as the MRI config; only the
# data and the checkpoint differ.
_base_ = ['./unet-s5-d16_context-restoration-pre_adam-lr1e-3-10k_nifti-mri-256.py']

data_root = 'data/nifti_ct'
train_dataloader = dict(
    dataset=dict(type='NiftiCTDataset', data_root=data_root))
val_dataloader = dict(dataset=dict(type='NiftiCTDataset', data_root=data_root))
test_dataloader = dict(
    dataset=dict(type='NiftiCTDataset', data_root=data_root))
pretrained_encoder = dict(
    checkpoint='work_dirs/context-restoration_unet-s5-d16_1xb16-adam-10k'
    '_nifti-ct-256/iter_10000.pth',
    mode='encoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
