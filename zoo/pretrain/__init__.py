"""Pretraining objectives (`SimCLR`, `BYOL`, `Supervised`) and the loop behind `hares-zoo pretrain`."""

from zoo.pretrain.byol import BYOL
from zoo.pretrain.simclr import SimCLR
from zoo.pretrain.supervised import Supervised

__all__ = ["BYOL", "SimCLR", "Supervised"]
