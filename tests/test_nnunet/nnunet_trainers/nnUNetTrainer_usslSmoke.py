"""A trainer for the adapter's smoke test, found by nnU-Net through
``nnUNet_extTrainer`` (nnU-Net's documented way to add trainers): nnU-Net's
shortest shipped schedule, ``nnUNetTrainer_1epoch``, still runs 250
iterations; this one runs 1 epoch of 2 training and 1 validation
iterations, so the end-to-end test takes about a minute on 2 cores."""
import torch
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer


class nnUNetTrainer_usslSmoke(nnUNetTrainer):

    def __init__(self, plans: dict, configuration: str, fold: int,
                 dataset_json: dict,
                 device: torch.device = torch.device('cuda')):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 1
        self.num_iterations_per_epoch = 2
        self.num_val_iterations_per_epoch = 1
