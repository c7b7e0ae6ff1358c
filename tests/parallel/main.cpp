// The test binary's own main: a parallel::Session, so the same tests run as one
// process under ctest and as several ranks under mpirun (Parallel.MpiRun*).
#include <gtest/gtest.h>

#include "src/parallel/communicator.hpp"

int main(int argc, char** argv) {
  penumbra::parallel::Session session(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
