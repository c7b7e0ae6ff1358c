#pragma once
// Maximum a posteriori / regularised maximum likelihood imaging: the image
// that maximises log p(x) + λ log p(y | x) for a posterior whose prior has a
// tractable density (maximum entropy, total variation, Laplace/L1, Gaussian).
// L-BFGS with a backtracking (Armijo) line search on the energy
// −Posterior::log_prob, gradient −Posterior::score(x, 0). Optional
// non-negativity by projection (the MEM prior is positive by construction).
#include <ATen/core/Tensor.h>

#include <vector>

#include "samplers/posterior.hpp"

namespace penumbra {

struct MapOptions {
  int max_iterations = 300;
  double tolerance = 1e-7;   // stop when the relative energy change falls below this
  int history = 8;           // L-BFGS memory
  bool nonnegative = false;  // project onto x ≥ 0 after each step
};

struct MapResult {
  at::Tensor image;                 // [H, W], same dtype as x0
  int iterations = 0;
  bool converged = false;
  std::vector<double> energy;       // per iteration (for the convergence plot)
};

// x0 [H, W] starting image (e.g. the dirty image in prior units). Throws
// InternalError naming the iteration if the energy becomes non-finite.
MapResult map_estimate(const Posterior& posterior, const at::Tensor& x0, const MapOptions& options = {});

}  // namespace penumbra
