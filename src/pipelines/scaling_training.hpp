#pragma once
// The cell trainer of the scaling study (scaling_study.hpp) on a vote dataset
// (`penumbra dataset gz-votes`): `pretrain supervised` (src/pipelines/pretraining.hpp:
// a ResNet encoder of the cell's width, a linear head to the tree's answers,
// the Dirichlet-multinomial vote loss on random views) on the file's first N
// galaxies, written into the cell's folder, then scored without augmentation
// by the mean vote NLL per galaxy on the file's last `heldout` galaxies. An
// interrupted cell continues from its last checkpoint (pretrain's exact resume).
#include "src/pipelines/scaling_study.hpp"

namespace penumbra {

// Reads the training pool (the largest data size) and the held-out split
// once; UsageError when the grid does not fit the file ("data sizes: ...").
ScalingCellTrainer vote_cell_trainer(const ScalingStudyOptions& options);

}  // namespace penumbra
