#pragma once
// Linear ("same"-size) convolution of nx × ny images with small centred
// kernels by FFT, as multiscale CLEAN needs it: the residual convolved with
// every scale once per scale selection, and the PSF convolved with every scale
// once per run. The images are zero-padded to M ≥ n + h per axis (h the
// largest kernel half-width), which is exactly enough that the circular
// convolution of the padded arrays equals the linear one on the n × n window:
// what wraps around lands in the padding, never in the window.
//
// Layout [y][x]. A kernel is (2h + 1)² values, row-major, centred at (h, h):
//   out[y][x] = Σ_{dy,dx ∈ [−h, h]} k[h + dy][h + dx] · in[y − dy][x − dx].
// One object is not safe to use from two threads at once (shared buffers).
#include <complex>
#include <memory>
#include <span>
#include <vector>

namespace penumbra {

class FftConvolver {
 public:
  // `max_half_width`: the largest h of the kernels that will be added.
  FftConvolver(int nx, int ny, int max_half_width);
  ~FftConvolver();
  FftConvolver(const FftConvolver&) = delete;
  FftConvolver& operator=(const FftConvolver&) = delete;

  // Stores the kernel's transform; returns its index for convolve().
  // Throws UsageError when the size is not (2h + 1)² or h > max_half_width.
  int add_kernel(std::span<const double> kernel, int half_width);
  // `out` may alias `in`.
  void convolve(std::span<const double> in, int kernel, std::span<double> out);

  int padded_nx() const { return mx_; }
  int padded_ny() const { return my_; }

 private:
  int nx_, ny_, hmax_, mx_, my_;
  std::vector<double> real_;                                // my × mx
  std::vector<std::complex<double>> spec_;                  // my × (mx/2 + 1)
  std::vector<std::vector<std::complex<double>>> kernels_;  // transforms / (mx·my)
  struct Plans;  // FFTW plans: fftw3.h stays out of this header
  std::unique_ptr<Plans> plans_;
};

}  // namespace penumbra
