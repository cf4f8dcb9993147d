# The label-fraction curve: the quickstart's rows at 1, 5, 10, 25, 50 and
# 100 % of the labels, 3 seeds each. The report plots the test mIoU (the quickstart's primary metric)
# against the label fraction (log x, mean ± sd over seeds, one line per
# initialisation), gives the smallest fraction at which DenseCL matches
# scratch trained on 100 % (and the best supervised row), and adds the
# seed-level test and bootstrap CI to every comparison.
#
#   python tools/study.py configs/study/label_curve_knee_us.py
_base_ = ['./quickstart_knee_us.py']

study = dict(
    name='label_curve',
    work_dir='work_dirs/label_curve',
    label_fractions=[1, 5, 10, 25, 50, 100],
    seeds=[0, 1, 2],
)
