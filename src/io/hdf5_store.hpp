#pragma once
// HDF5 store for observations, images, sample stacks, datasets and metrics.
// Datasets are plain n-d arrays (h5py reads them as numpy arrays); physical
// units live in a string attribute "unit" on each dataset, and images carry
// their WCS (CRPIX/CDELT/CRVAL in degrees, CTYPE) as attributes too.
#include <complex>
#include <cstddef>
#include <cstdint>
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
  // Element type as numpy would name it: "float32", "float64", "int64", "uint8",
  // "complex64" (compound {r, i}), "string", "compound" or "other".
  std::string dtype(const std::string& name) const;
  // Writes buffered data to disk (e.g. after appending a batch of samples).
  void flush();

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
  std::vector<std::string> attr_names(const std::string& object) const;

  // Composite records.
  // An image is a 2-D float64 dataset [ny][nx] (ImageGrid layout) with the
  // attributes unit, CTYPE1/2, CUNIT1/2, CRPIX1/2, CDELT1/2, CRVAL1/2 (degrees)
  // and cell_rad / ra_rad / dec_rad (the grid exactly, radians).
  // An observation is a group holding uvw [nrow,3] float64 (m), freq [nchan]
  // float64 (Hz), corr [ncorr] int32 (CASA codes), vis [nrow,nchan,ncorr]
  // compound {r, i} float32 (Jy; h5py reads it as complex64), weight (float32,
  // Jy^-2) and flag (uint8) of the same shape, optional antenna1/antenna2
  // [nrow] int32, time [nrow] float64 (s), antenna_xyz [nant,3] float64 (m),
  // and attributes ra_rad, dec_rad, interval_s, dish_diameter_m,
  // frequency_known (0/1), telescope, field, format = "penumbra.observation".
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
