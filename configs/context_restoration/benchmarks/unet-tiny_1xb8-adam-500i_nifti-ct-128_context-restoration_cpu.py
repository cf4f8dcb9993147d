# CPU-scale sibling of the CT fine-tuning config: the MRI CPU sizes on CT
# data, from the CT CPU pretraining. Run that pretraining first.
_base_ = ['./unet-tiny_context-restoration-pre_adam-lr1e-3-500it_nifti-mri-128_cpu.py']

data_root = 'data/nifti_ct'
train_dataloader = dict(
    dataset=dict(type='NiftiCTDataset', data_root=data_root))
val_dataloader = dict(dataset=dict(type='NiftiCTDataset', data_root=data_root))
test_dataloader = dict(
    dataset=dict(type='NiftiCTDataset', data_root=data_root))
pretrained_encoder = dict(
    checkpoint='work_dirs/context-restoration_unet-tiny_1xb8-adam-120it'
    '_nifti-ct-128_cpu/iter_120.pth',
    mode='encoder')
custom_hooks = [dict(type='PretrainedEncoderHook')]
