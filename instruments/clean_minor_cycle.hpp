#pragma once
// Pieces of CLEAN's minor cycle shared by the point (Högbom) and the
// multiscale cycles (instruments/clean.hpp drives both).
//
// A "PSF of twice the image size" is the PSF (or a scale-convolved PSF)
// computed on a 2nx × 2ny grid of the same cell, centred at pixel (nx, ny):
// shifted to any pixel of the image it still covers the whole image, so a
// component anywhere can be subtracted everywhere.
#include <cstddef>
#include <span>
#include <vector>

#include "src/core/image_grid.hpp"

namespace penumbra::clean_detail {

// Index of the largest |value|; with a border b > 0 only pixels at least b
// from every edge count (returns SIZE_MAX when none does).
std::size_t argmax_abs(std::span<const double> image, int nx, int ny, int border = 0);

// image −= amount · psf2 shifted so that its centre lands on (x0, y0).
void subtract_shifted(std::span<double> image, std::span<const double> psf2, const ImageGrid& grid, int x0, int y0,
                      double amount);

// Högbom minor cycle on `residual`: components of gain × peak at the peak,
// until |peak| ≤ stop_level or `budget` iterations. Returns the iterations done.
int hogbom_minor_cycle(std::vector<double>& residual, std::vector<double>& model, std::span<const double> psf2,
                       const ImageGrid& grid, double gain, double stop_level, int budget);

}  // namespace penumbra::clean_detail
