#pragma once
// HDF5 store for observations, images, sample stacks, datasets and metrics.
// Datasets are plain n-d arrays (h5py reads them as numpy arrays); physical
// units live in a string attribute "unit" on each dataset, and images carry
// their WCS (CRPIX/CDELT/CRVAL in degrees, CTYPE) as attributes too.
#include <complex>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"

namespace penumbra {

template <class T>
struct Array {
  std::vector<T> data;             // row-major
  std::vector<std::size_t> shape;
  std::size_t size() const { return data.size(); }
};

class Hdf5Store {
 public:
  enum class Mode { kRead, kReadWrite, kCreate };  // kCreate truncates
  Hdf5Store(const std::filesystem::path& path, Mode mode);
  ~Hdf5Store();
  Hdf5Store(Hdf5Store&&) noexcept;
  Hdf5Store& operator=(Hdf5Store&&) noexcept;

  const std::filesystem::path& path() const { return path_; }
  bool has(const std::string& name) const;  // "/a/b" style names; groups created on write

  // Whole arrays. Overwrites an existing dataset of the same name.
  void write(const std::string& name, const Array<float>& a, const std::string& unit = "");
  void write(const std::string& name, const Array<double>& a, const std::string& unit = "");
  void write(const std::string& name, const Array<std::int64_t>& a, const std::string& unit = "");
  Array<float> read_float(const std::string& name) const;    // converts from any numeric type
  Array<double> read_double(const std::string& name) const;
  Array<std::int64_t> read_int(const std::string& name) const;
  std::vector<std::size_t> shape(const std::string& name) const;

  // Stacks that grow along axis 0 (posterior samples, training sets written in chunks).
  void create_stack(const std::string& name, const std::vector<std::size_t>& item_shape, const std::string& unit = "");
  void append(const std::string& name, const float* items, std::size_t count);
  // Reads items [first, first+count) of a stack (or of any array along axis 0).
  Array<float> read_rows(const std::string& name, std::size_t first, std::size_t count) const;

  // Attributes on a dataset or group ("/" for the file).
  void set_attr(const std::string& object, const std::string& key, const std::string& value);
  void set_attr(const std::string& object, const std::string& key, double value);
  std::string attr_string(const std::string& object, const std::string& key) const;  // throws DataError if absent
  double attr_double(const std::string& object, const std::string& key) const;
  bool has_attr(const std::string& object, const std::string& key) const;

  // Composite records.
  void write_image(const std::string& name, const std::vector<double>& pixels, const ImageGrid& grid,
                   const std::string& unit);
  std::vector<double> read_image(const std::string& name, ImageGrid* grid = nullptr) const;
  void write_observation(const std::string& group, const Observation& obs);
  Observation read_observation(const std::string& group) const;

  // All dataset names (full paths) in the file, for `penumbra info`.
  std::vector<std::string> list() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::filesystem::path path_;
};

}  // namespace penumbra
