# The config the README promises:
#   python tools/train.py configs/densecl_r50_knee.py
# It is exactly the GPU-scale DenseCL R50 knee-ultrasound pretraining.
_base_ = ['./densecl/densecl_r50_1xb32-coslr-200e_knee-us-224.py']
