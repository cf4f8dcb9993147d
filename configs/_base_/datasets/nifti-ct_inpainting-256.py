# Unlabelled CT slices for inpainting pretraining, 256 px, batch 16 (GPU
# scale; the CPU scale is nifti-ct_inpainting-128.py): the MRI recipe
# (nifti-mri_inpainting-256.py: native-scale crops, the corruption, mean 0 /
# std 1) on `NiftiCTDataset`, which emits 3 HU windows (W/L 400/50, 1800/40,
# 500/50), each z-scored per volume. Generate a demo set with
#   python tools/dataset_converters/generate_synthetic_nifti.py \
#       --out data/nifti_ct --modality ct
_base_ = ['./nifti-mri_inpainting-256.py']

data_root = 'data/nifti_ct'
train_dataloader = dict(
    dataset=dict(type='mmseg.NiftiCTDataset', data_root=data_root))
