# Classifier studies and training under mpirun (issue 26): cross-validation and
# ensembles identical at K = 1, 2, 3; data-parallel train-prior and classify train
# within the tolerance of docs/parallel.md (tests/parallel/training_rank_invariance.py).
# Needs penumbra_add_mpi_test from mpi_tests.cmake.
if(TARGET penumbra)
  foreach(case cross-validate ensemble prior-training classifier-training)
    penumbra_add_mpi_test(Parallel.Training.${case}
      /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/parallel/training_rank_invariance.py
        --penumbra $<TARGET_FILE:penumbra> --mpirun ${PENUMBRA_MPIRUN}
        --scratch ${PROJECT_BINARY_DIR}/test-scratch/mpi-training ${case})
  endforeach()
endif()
