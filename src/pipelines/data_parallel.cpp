#include "src/pipelines/data_parallel.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cstring>
#include <string>

#include "src/core/errors.hpp"
#include "src/parallel/communicator.hpp"

namespace penumbra {

namespace {

// Copies the tensors of type T into one buffer, sums it over the ranks (one
// collective per dtype, not one per tensor) and copies it back.
template <class T>
void sum_tensors_of(const std::vector<at::Tensor>& tensors, at::ScalarType type) {
  std::vector<T> buffer;
  for (const auto& t : tensors) {
    if (t.scalar_type() != type) continue;
    auto c = t.contiguous();
    buffer.insert(buffer.end(), c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
  }
  parallel::allreduce_sum(std::span<T>(buffer));
  std::size_t at = 0;
  torch::NoGradGuard ng;
  for (const auto& t : tensors) {
    if (t.scalar_type() != type) continue;
    auto n = static_cast<std::size_t>(t.numel());
    t.copy_(torch::from_blob(buffer.data() + at, t.sizes(), torch::TensorOptions().dtype(type)));
    at += n;
  }
}

void sum_tensors(const std::vector<at::Tensor>& tensors) {
  for (const auto& t : tensors)
    if (t.scalar_type() != torch::kFloat32 && t.scalar_type() != torch::kFloat64)
      throw InternalError(fmt::format("data-parallel sum: tensor of type {} (float32 or float64 expected)",
                                      c10::toString(t.scalar_type())));
  sum_tensors_of<float>(tensors, torch::kFloat32);
  sum_tensors_of<double>(tensors, torch::kFloat64);
}

// Rank 0's bytes of every tensor, in order; a rank whose tensors add up to
// another byte count runs another model (another build or configuration).
void broadcast_tensors(const std::vector<at::Tensor>& tensors) {
  std::string blob;
  for (const auto& t : tensors) {
    auto c = t.contiguous();
    blob.append(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  }
  const auto local_bytes = blob.size();
  parallel::broadcast(blob);
  if (blob.size() != local_bytes)
    throw InternalError(fmt::format("data-parallel start: rank 0's model has {} bytes, rank {}'s {}", blob.size(),
                                    parallel::rank(), local_bytes));
  std::size_t at = 0;
  torch::NoGradGuard ng;
  for (const auto& t : tensors) {
    auto c = t.contiguous();
    std::memcpy(c.data_ptr(), blob.data() + at, c.numel() * c.element_size());
    if (!c.is_same(t)) t.copy_(c);
    at += c.numel() * c.element_size();
  }
}

}  // namespace

DataParallel job_data_parallel() {
  DataParallel dp;
  dp.rank = parallel::rank();
  dp.size = parallel::size();
  dp.sum = sum_tensors;
  dp.broadcast = broadcast_tensors;
  return dp;
}

}  // namespace penumbra
