// Which launcher started the process: read from the environment it sets, the
// same for the MPI and the serial build.
#include <cstdlib>

#include "src/parallel/communicator.hpp"

namespace penumbra::parallel {

bool launched_by_mpi_launcher() {
  // Open MPI's mpirun, PMIx (Open MPI 4+, srun --mpi=pmix), PMI-1/2 (MPICH's hydra, srun --mpi=pmi2).
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

int launcher_world_size() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"})
    if (const char* s = std::getenv(v)) {
      int n = std::atoi(s);
      if (n > 0) return n;
    }
  return 1;
}

}  // namespace penumbra::parallel
