# CPU-scale sibling of the CT config: the MRI CPU sizes on CT data.
_base_ = ['./context-restoration_unet-tiny_1xb8-adam-120it_nifti-mri-128_cpu.py']

train_dataloader = dict(
    dataset=dict(type='mmseg.NiftiCTDataset', data_root='data/nifti_ct'))
