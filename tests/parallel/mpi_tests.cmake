# Multi-rank CTest cases (issue 26): the layer's tests as 2 and 3 ranks (3 splits
# 7 items unevenly), and the CLI's rank-count invariance. Without MPI (or mpirun)
# each case prints why and is skipped (return code 77).
find_program(PENUMBRA_MPIRUN NAMES mpirun mpiexec)
set(penumbra_mpirun_args --oversubscribe --allow-run-as-root)
set(penumbra_mpi_env "OMP_NUM_THREADS=1;OPENBLAS_NUM_THREADS=1;PENUMBRA_FFTW_WISDOM=${PROJECT_BINARY_DIR}/fftw.wisdom")

# penumbra_add_mpi_test(NAME COMMAND...): COMMAND runs as is when MPI is usable;
# otherwise the test reports the reason and is skipped.
function(penumbra_add_mpi_test name)
  if(PENUMBRA_MPI AND PENUMBRA_MPIRUN)
    add_test(NAME ${name} COMMAND ${ARGN})
  else()
    set(why "PENUMBRA_MPI is OFF")
    if(PENUMBRA_MPI)
      set(why "no mpirun on PATH")
    endif()
    add_test(NAME ${name} COMMAND sh -c "echo 'skipped: ${why} (install openmpi-bin libopenmpi-dev)'; exit 77")
  endif()
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${penumbra_mpi_env}" TIMEOUT 300 SKIP_RETURN_CODE 77
    LABELS mpi)
endfunction()

if(TARGET test_parallel)
  foreach(n 2 3)
    penumbra_add_mpi_test(Parallel.MpiRun${n}Ranks
      ${PENUMBRA_MPIRUN} ${penumbra_mpirun_args} -n ${n} $<TARGET_FILE:test_parallel>)
  endforeach()
  # An error on one rank while the other waits in a collective ends the job with its line.
  penumbra_add_mpi_test(Parallel.MpiRunErrorOnOneRank
    ${PENUMBRA_MPIRUN} ${penumbra_mpirun_args} -n 2 $<TARGET_FILE:test_parallel>
      --gtest_also_run_disabled_tests --gtest_filter=Communicator.DISABLED_AnErrorOnOneRankEndsTheJob)
  if(PENUMBRA_MPI AND PENUMBRA_MPIRUN)
    set_tests_properties(Parallel.MpiRunErrorOnOneRank PROPERTIES TIMEOUT 60
      PASS_REGULAR_EXPRESSION "cannot write sim_00001.h5 \\(rank 1 of 2; stopping the job\\)"
      FAIL_REGULAR_EXPRESSION "the job went on")
  endif()
endif()

# The CLI at K = 1, 2, 3 (tests/parallel/rank_invariance.py says what each compares).
if(TARGET penumbra)
  foreach(case coverage sample bad-input killed)
    penumbra_add_mpi_test(Parallel.Cli.${case}
      /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/parallel/rank_invariance.py
        --penumbra $<TARGET_FILE:penumbra> --mpirun ${PENUMBRA_MPIRUN}
        --scratch ${PROJECT_BINARY_DIR}/test-scratch/mpi --source ${PROJECT_SOURCE_DIR} ${case})
  endforeach()
endif()
