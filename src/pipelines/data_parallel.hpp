#pragma once
// The processes of this job as a DataParallel (src/model/data_parallel.hpp),
// over src/parallel: MPI under mpirun, one process otherwise.
#include "src/model/data_parallel.hpp"

namespace penumbra {

// Every process of the job (one without a parallel::Session).
DataParallel job_data_parallel();

// This process alone: what a process uses for work it does by itself (one
// member of an ensemble, one fold of a cross-validation).
inline DataParallel single_process() { return {}; }

}  // namespace penumbra
