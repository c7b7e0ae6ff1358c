#include "src/io/hdf5_store.hpp"

#include <H5Cpp.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <numeric>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {

namespace {

// "a/b" and "/a/b/" both mean "/a/b"; the root is "/".
std::string normalise(const std::string& name) {
  std::string out = "/";
  std::size_t i = 0;
  while (i < name.size()) {
    std::size_t j = name.find('/', i);
    if (j == std::string::npos) j = name.size();
    if (j > i) {
      if (out.size() > 1) out += '/';
      out += name.substr(i, j - i);
    }
    i = j + 1;
  }
  return out;
}

std::string parent_of(const std::string& name) {
  auto k = name.rfind('/');
  return k == 0 || k == std::string::npos ? "/" : name.substr(0, k);
}

std::size_t product(const std::vector<std::size_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (k) s += 'x';
    s += std::to_string(shape[k]);
  }
  return s;
}

template <class T>
const H5::PredType& native_type();
template <>
const H5::PredType& native_type<float>() { return H5::PredType::NATIVE_FLOAT; }
template <>
const H5::PredType& native_type<double>() { return H5::PredType::NATIVE_DOUBLE; }
template <>
const H5::PredType& native_type<std::int64_t>() { return H5::PredType::NATIVE_INT64; }
template <>
const H5::PredType& native_type<std::int32_t>() { return H5::PredType::NATIVE_INT32; }
template <>
const H5::PredType& native_type<std::uint8_t>() { return H5::PredType::NATIVE_UINT8; }

// Variable-length UTF-8 strings: h5py returns them as Python str.
H5::StrType string_type() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

// Complex visibilities as the compound {r, i} of float32 that h5py maps to complex64.
H5::CompType complex_type() {
  H5::CompType t(sizeof(std::complex<float>));
  t.insertMember("r", 0, H5::PredType::NATIVE_FLOAT);
  t.insertMember("i", sizeof(float), H5::PredType::NATIVE_FLOAT);
  return t;
}

}  // namespace

struct Hdf5Store::Impl {
  H5::H5File file;
  std::string path;
  bool writable = false;

  std::string where(const std::string& name) const { return fmt::format("{}: dataset '{}'", path, name); }

  [[noreturn]] void fail(const std::string& name, const H5::Exception& e) const {
    throw DataError(fmt::format("{}: HDF5 error on '{}': {} ({})", path, name, e.getDetailMsg(), e.getFuncName()));
  }

  void require_writable(const std::string& name) const {
    if (!writable) throw UsageError(fmt::format("{}: opened read-only, cannot write '{}'", path, name));
  }

  // True when every link along `name` exists (H5Lexists needs the parents to exist).
  bool exists(const std::string& name) const {
    if (name == "/") return true;
    std::size_t pos = 1;
    while (true) {
      std::size_t j = name.find('/', pos);
      std::string prefix = name.substr(0, j);
      if (H5Lexists(file.getId(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
      if (j == std::string::npos) return true;
      // A dataset in the middle of a path cannot have children.
      if (file.childObjType(prefix) != H5O_TYPE_GROUP) return false;
      pos = j + 1;
    }
  }

  bool is_dataset(const std::string& name) const {
    return exists(name) && name != "/" && file.childObjType(name) == H5O_TYPE_DATASET;
  }

  void ensure_group(const std::string& name) {
    if (name == "/") return;
    std::size_t pos = 1;
    while (true) {
      std::size_t j = name.find('/', pos);
      std::string prefix = name.substr(0, j);
      if (H5Lexists(file.getId(), prefix.c_str(), H5P_DEFAULT) <= 0) {
        file.createGroup(prefix);
      } else if (file.childObjType(prefix) != H5O_TYPE_GROUP) {
        throw UsageError(fmt::format("{}: '{}' is a dataset, cannot hold '{}'", path, prefix, name));
      }
      if (j == std::string::npos) return;
      pos = j + 1;
    }
  }

  // Removes an existing dataset so that a write replaces it (the space is not
  // reclaimed inside the file; stores are rewritten whole when that matters).
  void prepare_write(const std::string& name) {
    require_writable(name);
    ensure_group(parent_of(name));
    if (exists(name)) {
      if (file.childObjType(name) != H5O_TYPE_DATASET)
        throw UsageError(fmt::format("{}: '{}' is a group, cannot overwrite it with a dataset", path, name));
      file.unlink(name);
    }
  }

  H5::DataSet open_dataset(const std::string& name) const {
    if (!is_dataset(name)) throw DataError(fmt::format("{}: no dataset '{}'", path, name));
    return file.openDataSet(name);
  }

  static std::vector<std::size_t> dims_of(const H5::DataSet& ds) {
    H5::DataSpace space = ds.getSpace();
    int rank = space.getSimpleExtentNdims();
    std::vector<hsize_t> d(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank > 0) space.getSimpleExtentDims(d.data());
    return {d.begin(), d.end()};
  }

  template <class T>
  void write_array(const std::string& name, const T* data, const std::vector<std::size_t>& shape,
                   const H5::DataType& file_type, const H5::DataType& mem_type, const std::string& unit) {
    prepare_write(name);
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    H5::DataSpace space = dims.empty() ? H5::DataSpace(H5S_SCALAR)
                                       : H5::DataSpace(static_cast<int>(dims.size()), dims.data());
    H5::DataSet ds = file.createDataSet(name, file_type, space);
    if (product(shape) > 0) ds.write(data, mem_type);
    if (!unit.empty()) write_string_attr(ds, "unit", unit);
  }

  template <class T>
  void write_vector(const std::string& name, const std::vector<T>& v, const std::vector<std::size_t>& shape,
                    const std::string& unit = "") {
    write_array(name, v.data(), shape, native_type<T>(), native_type<T>(), unit);
  }

  template <class T>
  Array<T> read_array(const std::string& name) const {
    H5::DataSet ds = open_dataset(name);
    H5T_class_t cls = ds.getTypeClass();
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
      throw DataError(fmt::format("{}: is not numeric (HDF5 type class {}), expected a numeric array", where(name),
                                  static_cast<int>(cls)));
    Array<T> a;
    a.shape = dims_of(ds);
    a.data.resize(product(a.shape));
    if (!a.data.empty()) ds.read(a.data.data(), native_type<T>());
    return a;
  }

  template <class T>
  std::vector<T> read_checked(const std::string& name, const std::vector<std::size_t>& expected) const {
    Array<T> a = read_array<T>(name);
    if (a.shape != expected)
      throw DataError(fmt::format("{}: shape {}, expected {}", where(name), shape_text(a.shape), shape_text(expected)));
    return std::move(a.data);
  }

  static void write_string_attr(H5::H5Object& obj, const std::string& key, const std::string& value) {
    if (obj.attrExists(key)) obj.removeAttr(key);
    H5::StrType t = string_type();
    H5::Attribute a = obj.createAttribute(key, t, H5::DataSpace(H5S_SCALAR));
    a.write(t, value);
  }

  static void write_double_attr(H5::H5Object& obj, const std::string& key, double value) {
    if (obj.attrExists(key)) obj.removeAttr(key);
    H5::Attribute a = obj.createAttribute(key, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR));
    a.write(H5::PredType::NATIVE_DOUBLE, &value);
  }

  // Calls f(H5Object&) on the group or dataset `name`.
  template <class F>
  auto with_object(const std::string& name, F&& f) const {
    if (!exists(name)) throw DataError(fmt::format("{}: no group or dataset '{}'", path, name));
    if (name != "/" && file.childObjType(name) == H5O_TYPE_DATASET) {
      H5::DataSet ds = file.openDataSet(name);
      return f(static_cast<H5::H5Object&>(ds));
    }
    H5::Group g = file.openGroup(name);
    return f(static_cast<H5::H5Object&>(g));
  }

  H5::Attribute open_attr(H5::H5Object& obj, const std::string& object, const std::string& key) const {
    if (!obj.attrExists(key)) throw DataError(fmt::format("{}: '{}' has no attribute '{}'", path, object, key));
    return obj.openAttribute(key);
  }

  std::string read_string_attr(H5::H5Object& obj, const std::string& object, const std::string& key) const {
    H5::Attribute a = open_attr(obj, object, key);
    if (a.getTypeClass() != H5T_STRING)
      throw DataError(fmt::format("{}: attribute '{}' of '{}' is not a string", path, key, object));
    H5::StrType t = a.getStrType();
    std::string value;
    // Fixed-length strings (numpy bytes written by h5py) and variable-length
    // strings (Python str) both come back as std::string.
    if (t.isVariableStr()) {
      a.read(t, value);
    } else {
      std::vector<char> buf(t.getSize() + 1, '\0');
      a.read(t, buf.data());
      value.assign(buf.data());
    }
    return value;
  }

  double read_double_attr(H5::H5Object& obj, const std::string& object, const std::string& key) const {
    H5::Attribute a = open_attr(obj, object, key);
    H5T_class_t cls = a.getTypeClass();
    if ((cls != H5T_FLOAT && cls != H5T_INTEGER) || a.getSpace().getSimpleExtentNpoints() != 1)
      throw DataError(fmt::format("{}: attribute '{}' of '{}' is not a numeric scalar", path, key, object));
    double v = 0;
    a.read(H5::PredType::NATIVE_DOUBLE, &v);
    return v;
  }

  void list_into(const std::string& group, std::vector<std::string>& out) const {
    H5::Group g = file.openGroup(group);
    hsize_t n = g.getNumObjs();
    for (hsize_t k = 0; k < n; ++k) {
      std::string child = g.getObjnameByIdx(k);
      std::string full = group == "/" ? "/" + child : group + "/" + child;
      H5O_type_t t = g.childObjType(child);
      if (t == H5O_TYPE_DATASET) out.push_back(full);
      else if (t == H5O_TYPE_GROUP) list_into(full, out);
    }
  }
};

Hdf5Store::Hdf5Store(const std::filesystem::path& path, Mode mode) : impl_(std::make_unique<Impl>()), path_(path) {
  // Our exceptions carry the message; HDF5's own stack dump would only clutter stderr.
  H5::Exception::dontPrint();
  impl_->path = path.string();
  const std::string& p = impl_->path;
  bool exists = std::filesystem::exists(path);
  if (mode == Mode::kRead && !exists) throw MissingInputError("HDF5 file not found: " + p);
  if (exists && std::filesystem::is_directory(path))
    throw DataError(fmt::format("{}: is a directory, expected an HDF5 file", p));
  try {
    if (mode == Mode::kCreate || !exists) {
      if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
      try {
        impl_->file = H5::H5File(p, H5F_ACC_TRUNC);
      } catch (const H5::Exception& e) {
        throw DataError(fmt::format("{}: cannot create HDF5 file (unwritable folder, or the file is open elsewhere): {}",
                                    p, e.getDetailMsg()));
      }
      impl_->writable = true;
    } else {
      if (!H5::H5File::isHdf5(p)) throw DataError(fmt::format("{}: not an HDF5 file (no HDF5 signature)", p));
      impl_->writable = mode == Mode::kReadWrite;
      impl_->file = H5::H5File(p, impl_->writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY);
    }
  } catch (const H5::Exception& e) {
    throw DataError(fmt::format("{}: cannot open as HDF5 (truncated or corrupt?): {}", p, e.getDetailMsg()));
  } catch (const std::filesystem::filesystem_error& e) {
    throw DataError(fmt::format("{}: cannot create: {}", p, e.what()));
  }
}

Hdf5Store::~Hdf5Store() {
  if (!impl_) return;
  try {
    impl_->file.close();
  } catch (...) {
    // A destructor must not throw; a failed close already lost the data either way.
  }
}
Hdf5Store::Hdf5Store(Hdf5Store&&) noexcept = default;
Hdf5Store& Hdf5Store::operator=(Hdf5Store&&) noexcept = default;

void Hdf5Store::flush() {
  try {
    impl_->file.flush(H5F_SCOPE_GLOBAL);
  } catch (const H5::Exception& e) {
    impl_->fail("/", e);
  }
}

bool Hdf5Store::has(const std::string& name) const {
  std::string n = normalise(name);
  try {
    return impl_->exists(n);
  } catch (const H5::Exception& e) {
    impl_->fail(n, e);
  }
}

// Turns HDF5's exceptions into DataErrors naming the file and object.
#define PENUMBRA_H5_GUARD(name, ...) \
  try {                              \
    __VA_ARGS__                      \
  } catch (const H5::Exception& e) {  \
    impl_->fail(name, e);             \
  }

namespace {
template <class T>
void check_array(const std::string& file, const std::string& name, const Array<T>& a) {
  if (product(a.shape) != a.data.size())
    throw UsageError(fmt::format("{}: writing '{}': shape {} holds {} values but {} were given", file, name,
                                 shape_text(a.shape), product(a.shape), a.data.size()));
}
}  // namespace

void Hdf5Store::write(const std::string& name, const Array<float>& a, const std::string& unit) {
  std::string n = normalise(name);
  check_array(impl_->path, n, a);
  PENUMBRA_H5_GUARD(n, impl_->write_vector(n, a.data, a.shape, unit);)
}
void Hdf5Store::write(const std::string& name, const Array<double>& a, const std::string& unit) {
  std::string n = normalise(name);
  check_array(impl_->path, n, a);
  PENUMBRA_H5_GUARD(n, impl_->write_vector(n, a.data, a.shape, unit);)
}
void Hdf5Store::write(const std::string& name, const Array<std::int64_t>& a, const std::string& unit) {
  std::string n = normalise(name);
  check_array(impl_->path, n, a);
  PENUMBRA_H5_GUARD(n, impl_->write_vector(n, a.data, a.shape, unit);)
}

Array<float> Hdf5Store::read_float(const std::string& name) const {
  std::string n = normalise(name);
  PENUMBRA_H5_GUARD(n, return impl_->read_array<float>(n);)
}
Array<double> Hdf5Store::read_double(const std::string& name) const {
  std::string n = normalise(name);
  PENUMBRA_H5_GUARD(n, return impl_->read_array<double>(n);)
}
Array<std::int64_t> Hdf5Store::read_int(const std::string& name) const {
  std::string n = normalise(name);
  PENUMBRA_H5_GUARD(n, return impl_->read_array<std::int64_t>(n);)
}

std::vector<std::size_t> Hdf5Store::shape(const std::string& name) const {
  std::string n = normalise(name);
  PENUMBRA_H5_GUARD(n, return Impl::dims_of(impl_->open_dataset(n));)
}

std::string Hdf5Store::dtype(const std::string& name) const {
  std::string n = normalise(name);
  PENUMBRA_H5_GUARD(n, {
    H5::DataSet ds = impl_->open_dataset(n);
    H5::DataType t = ds.getDataType();
    std::size_t bits = 8 * t.getSize();
    switch (ds.getTypeClass()) {
      case H5T_FLOAT: return fmt::format("float{}", bits);
      case H5T_INTEGER: return fmt::format("{}int{}", ds.getIntType().getSign() == H5T_SGN_NONE ? "u" : "", bits);
      case H5T_STRING: return "string";
      case H5T_COMPOUND: {
        H5::CompType c = ds.getCompType();
        if (c.getNmembers() == 2 && c.getMemberName(0) == "r" && c.getMemberName(1) == "i")
          return fmt::format("complex{}", bits);
        return "compound";
      }
      default: return "other";
    }
  })
}

void Hdf5Store::create_stack(const std::string& name, const std::vector<std::size_t>& item_shape,
                             const std::string& unit) {
  std::string n = normalise(name);
  PENUMBRA_H5_GUARD(n, {
    impl_->prepare_write(n);
    std::size_t item = product(item_shape);
    if (item == 0) throw UsageError(fmt::format("{}: stack '{}' needs a non-empty item shape", impl_->path, n));
    std::vector<hsize_t> dims{0}, maxdims{H5S_UNLIMITED}, chunk;
    for (auto s : item_shape) {
      dims.push_back(s);
      maxdims.push_back(s);
    }
    // About 1 MiB per chunk: large enough for fast appends, small enough that
    // read_rows of a few items does not pull in much more than it needs.
    std::size_t rows = std::clamp<std::size_t>((1u << 20) / (item * sizeof(float)), 1, 4096);
    chunk = dims;
    chunk[0] = rows;
    H5::DSetCreatPropList props;
    props.setChunk(static_cast<int>(chunk.size()), chunk.data());
    H5::DataSpace space(static_cast<int>(dims.size()), dims.data(), maxdims.data());
    H5::DataSet ds = impl_->file.createDataSet(n, H5::PredType::NATIVE_FLOAT, space, props);
    if (!unit.empty()) Impl::write_string_attr(ds, "unit", unit);
  })
}

void Hdf5Store::append(const std::string& name, const float* items, std::size_t count) {
  std::string n = normalise(name);
  impl_->require_writable(n);
  if (count == 0) return;
  PENUMBRA_H5_GUARD(n, {
    H5::DataSet ds = impl_->open_dataset(n);
    auto dims = Impl::dims_of(ds);
    H5::DataSpace space = ds.getSpace();
    std::vector<hsize_t> maxdims(dims.size());
    if (!dims.empty()) space.getSimpleExtentDims(nullptr, maxdims.data());
    if (dims.empty() || maxdims[0] != H5S_UNLIMITED)
      throw UsageError(fmt::format("{}: is not a stack (create it with create_stack before appending)",
                                   impl_->where(n)));
    std::vector<hsize_t> start(dims.size(), 0), extent(dims.begin(), dims.end()), block(dims.begin(), dims.end());
    start[0] = dims[0];
    extent[0] = dims[0] + count;
    block[0] = count;
    ds.extend(extent.data());
    H5::DataSpace file_space = ds.getSpace();
    file_space.selectHyperslab(H5S_SELECT_SET, block.data(), start.data());
    H5::DataSpace mem_space(static_cast<int>(block.size()), block.data());
    ds.write(items, H5::PredType::NATIVE_FLOAT, mem_space, file_space);
  })
}

Array<float> Hdf5Store::read_rows(const std::string& name, std::size_t first, std::size_t count) const {
  std::string n = normalise(name);
  PENUMBRA_H5_GUARD(n, {
    H5::DataSet ds = impl_->open_dataset(n);
    auto dims = Impl::dims_of(ds);
    if (dims.empty()) throw DataError(fmt::format("{}: is a scalar, expected an array to read rows from", impl_->where(n)));
    if (first > dims[0] || count > dims[0] - first)
      throw UsageError(fmt::format("{}: rows [{}, {}) requested but it has {} rows", impl_->where(n), first,
                                   first + count, dims[0]));
    H5T_class_t cls = ds.getTypeClass();
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
      throw DataError(fmt::format("{}: is not numeric, expected a numeric array", impl_->where(n)));
    Array<float> a;
    a.shape = dims;
    a.shape[0] = count;
    a.data.resize(product(a.shape));
    if (a.data.empty()) return a;
    std::vector<hsize_t> start(dims.size(), 0), block(a.shape.begin(), a.shape.end());
    start[0] = first;
    H5::DataSpace file_space = ds.getSpace();
    file_space.selectHyperslab(H5S_SELECT_SET, block.data(), start.data());
    H5::DataSpace mem_space(static_cast<int>(block.size()), block.data());
    ds.read(a.data.data(), H5::PredType::NATIVE_FLOAT, mem_space, file_space);
    return a;
  })
}

void Hdf5Store::set_attr(const std::string& object, const std::string& key, const std::string& value) {
  std::string n = normalise(object);
  impl_->require_writable(n);
  PENUMBRA_H5_GUARD(n, {
    if (!impl_->exists(n)) impl_->ensure_group(n);
    impl_->with_object(n, [&](H5::H5Object& o) { Impl::write_string_attr(o, key, value); });
  })
}
void Hdf5Store::set_attr(const std::string& object, const std::string& key, double value) {
  std::string n = normalise(object);
  impl_->require_writable(n);
  PENUMBRA_H5_GUARD(n, {
    if (!impl_->exists(n)) impl_->ensure_group(n);
    impl_->with_object(n, [&](H5::H5Object& o) { Impl::write_double_attr(o, key, value); });
  })
}
std::string Hdf5Store::attr_string(const std::string& object, const std::string& key) const {
  std::string n = normalise(object);
  PENUMBRA_H5_GUARD(n, return impl_->with_object(n, [&](H5::H5Object& o) { return impl_->read_string_attr(o, n, key); });)
}
double Hdf5Store::attr_double(const std::string& object, const std::string& key) const {
  std::string n = normalise(object);
  PENUMBRA_H5_GUARD(n, return impl_->with_object(n, [&](H5::H5Object& o) { return impl_->read_double_attr(o, n, key); });)
}
bool Hdf5Store::has_attr(const std::string& object, const std::string& key) const {
  std::string n = normalise(object);
  PENUMBRA_H5_GUARD(n, {
    if (!impl_->exists(n)) return false;
    return impl_->with_object(n, [&](H5::H5Object& o) { return o.attrExists(key); });
  })
}

std::vector<std::string> Hdf5Store::attr_names(const std::string& object) const {
  std::string n = normalise(object);
  PENUMBRA_H5_GUARD(n, return impl_->with_object(n, [&](H5::H5Object& o) {
    std::vector<std::string> names;
    int count = o.getNumAttrs();
    for (int k = 0; k < count; ++k) names.push_back(o.openAttribute(static_cast<unsigned>(k)).getName());
    return names;
  });)
}

void Hdf5Store::write_image(const std::string& name, const std::vector<double>& pixels, const ImageGrid& grid,
                            const std::string& unit) {
  grid.validate();
  std::string n = normalise(name);
  if (pixels.size() != grid.size())
    throw UsageError(fmt::format("{}: image '{}' has {} pixels, grid {}x{} needs {}", impl_->path, n, pixels.size(),
                                 grid.nx, grid.ny, grid.size()));
  write(n, Array<double>{pixels, {static_cast<std::size_t>(grid.ny), static_cast<std::size_t>(grid.nx)}}, unit);
  // FITS-style WCS (degrees, 1-based reference pixel; axis 1 = x = the last
  // numpy axis) so that astropy.wcs.WCS can be built straight from the attributes.
  set_attr(n, "CTYPE1", "RA---SIN");
  set_attr(n, "CTYPE2", "DEC--SIN");
  set_attr(n, "CUNIT1", "deg");
  set_attr(n, "CUNIT2", "deg");
  set_attr(n, "CRPIX1", grid.crpix1());
  set_attr(n, "CRPIX2", grid.crpix2());
  set_attr(n, "CDELT1", grid.cdelt1_deg());
  set_attr(n, "CDELT2", grid.cdelt2_deg());
  set_attr(n, "CRVAL1", grid.crval1_deg());
  set_attr(n, "CRVAL2", grid.crval2_deg());
  // The same grid in radians, exactly as the library holds it.
  set_attr(n, "cell_rad", grid.cell);
  set_attr(n, "ra_rad", grid.ra);
  set_attr(n, "dec_rad", grid.dec);
}

std::vector<double> Hdf5Store::read_image(const std::string& name, ImageGrid* grid) const {
  std::string n = normalise(name);
  Array<double> a = read_double(n);
  if (a.shape.size() != 2)
    throw DataError(fmt::format("{}: has rank {} (shape {}), expected a 2-D image", impl_->where(n), a.shape.size(),
                                shape_text(a.shape)));
  if (grid) {
    ImageGrid g;
    g.ny = static_cast<int>(a.shape[0]);
    g.nx = static_cast<int>(a.shape[1]);
    if (has_attr(n, "cell_rad")) {
      g.cell = attr_double(n, "cell_rad");
      g.ra = attr_double(n, "ra_rad");
      g.dec = attr_double(n, "dec_rad");
    } else {
      // Written by another tool: fall back to the FITS-style attributes.
      g.cell = std::abs(attr_double(n, "CDELT1")) * kDeg;
      g.ra = attr_double(n, "CRVAL1") * kDeg;
      g.dec = attr_double(n, "CRVAL2") * kDeg;
    }
    if (!(g.cell > 0))
      throw DataError(fmt::format("{}: cell size {} rad is not positive", impl_->where(n), g.cell));
    *grid = g;
  }
  return std::move(a.data);
}

void Hdf5Store::write_observation(const std::string& group, const Observation& obs) {
  std::string g = normalise(group);
  obs.check_shapes(impl_->path + ":" + g);
  impl_->require_writable(g);
  const std::size_t nr = obs.nrow, nc = obs.nchan, np = obs.ncorr;
  if (!obs.antenna1.empty() && (obs.antenna1.size() != nr || obs.antenna2.size() != nr))
    throw UsageError(fmt::format("{}: observation '{}' has {} antenna1 / {} antenna2 entries for {} rows",
                                 impl_->path, g, obs.antenna1.size(), obs.antenna2.size(), nr));
  if (!obs.time.empty() && obs.time.size() != nr)
    throw UsageError(fmt::format("{}: observation '{}' has {} times for {} rows", impl_->path, g, obs.time.size(), nr));
  if (obs.antenna_xyz.size() % 3 != 0)
    throw UsageError(fmt::format("{}: observation '{}' antenna_xyz has {} values, not a multiple of 3", impl_->path,
                                 g, obs.antenna_xyz.size()));
  auto p = [&](const char* leaf) { return g == "/" ? std::string("/") + leaf : g + "/" + leaf; };
  PENUMBRA_H5_GUARD(g, {
    impl_->ensure_group(g);
    impl_->write_vector(p("uvw"), obs.uvw, {nr, 3}, "m");
    impl_->write_vector(p("freq"), obs.freq, {nc}, "Hz");
    std::vector<std::int32_t> corr(obs.corr.begin(), obs.corr.end());
    impl_->write_vector(p("corr"), corr, {np});
    impl_->write_array(p("vis"), obs.vis.data(), {nr, nc, np}, complex_type(), complex_type(), "Jy");
    impl_->write_vector(p("weight"), obs.weight, {nr, nc, np}, "Jy^-2");
    impl_->write_vector(p("flag"), obs.flag, {nr, nc, np});
    std::vector<std::int32_t> a1(obs.antenna1.begin(), obs.antenna1.end()), a2(obs.antenna2.begin(), obs.antenna2.end());
    if (!a1.empty()) {
      impl_->write_vector(p("antenna1"), a1, {nr});
      impl_->write_vector(p("antenna2"), a2, {nr});
    }
    if (!obs.time.empty()) impl_->write_vector(p("time"), obs.time, {nr}, "s");
    if (!obs.antenna_xyz.empty()) impl_->write_vector(p("antenna_xyz"), obs.antenna_xyz, {obs.antenna_xyz.size() / 3, 3}, "m");
  })
  set_attr(g, "format", "penumbra.observation");
  set_attr(g, "format_version", 1.0);
  set_attr(g, "ra_rad", obs.ra);
  set_attr(g, "dec_rad", obs.dec);
  set_attr(g, "interval_s", obs.interval);
  set_attr(g, "dish_diameter_m", obs.dish_diameter);
  set_attr(g, "frequency_known", obs.frequency_known ? 1.0 : 0.0);
  set_attr(g, "telescope", obs.telescope);
  set_attr(g, "field", obs.field);
}

Observation Hdf5Store::read_observation(const std::string& group) const {
  std::string g = normalise(group);
  auto p = [&](const char* leaf) { return g == "/" ? std::string("/") + leaf : g + "/" + leaf; };
  if (!impl_->exists(g)) throw DataError(fmt::format("{}: no observation group '{}'", impl_->path, g));
  Observation obs;
  PENUMBRA_H5_GUARD(g, {
    auto uvw_shape = shape(p("uvw"));
    if (uvw_shape.size() != 2 || uvw_shape[1] != 3)
      throw DataError(fmt::format("{}: shape {}, expected [rows, 3]", impl_->where(p("uvw")), shape_text(uvw_shape)));
    obs.nrow = uvw_shape[0];
    auto freq_shape = shape(p("freq"));
    auto corr_shape = shape(p("corr"));
    if (freq_shape.size() != 1 || corr_shape.size() != 1)
      throw DataError(fmt::format("{}: freq has shape {} and corr {}, expected 1-D arrays", impl_->path + ":" + g,
                                  shape_text(freq_shape), shape_text(corr_shape)));
    obs.nchan = freq_shape[0];
    obs.ncorr = corr_shape[0];
    const std::vector<std::size_t> cube{obs.nrow, obs.nchan, obs.ncorr};
    obs.uvw = impl_->read_checked<double>(p("uvw"), uvw_shape);
    obs.freq = impl_->read_checked<double>(p("freq"), freq_shape);
    auto corr = impl_->read_checked<std::int64_t>(p("corr"), corr_shape);
    obs.corr.assign(corr.begin(), corr.end());
    {
      H5::DataSet ds = impl_->open_dataset(p("vis"));
      if (ds.getTypeClass() != H5T_COMPOUND)
        throw DataError(fmt::format("{}: expected a complex (compound r, i) array", impl_->where(p("vis"))));
      auto dims = Impl::dims_of(ds);
      if (dims != cube)
        throw DataError(fmt::format("{}: shape {}, expected {}", impl_->where(p("vis")), shape_text(dims),
                                    shape_text(cube)));
      obs.vis.resize(product(cube));
      if (!obs.vis.empty()) ds.read(obs.vis.data(), complex_type());
    }
    obs.weight = impl_->read_checked<float>(p("weight"), cube);
    obs.flag = impl_->read_checked<std::uint8_t>(p("flag"), cube);
    if (impl_->exists(p("antenna1"))) {
      auto a1 = impl_->read_checked<std::int32_t>(p("antenna1"), {obs.nrow});
      auto a2 = impl_->read_checked<std::int32_t>(p("antenna2"), {obs.nrow});
      obs.antenna1.assign(a1.begin(), a1.end());
      obs.antenna2.assign(a2.begin(), a2.end());
    }
    if (impl_->exists(p("time"))) obs.time = impl_->read_checked<double>(p("time"), {obs.nrow});
    if (impl_->exists(p("antenna_xyz"))) {
      auto s = shape(p("antenna_xyz"));
      if (s.size() != 2 || s[1] != 3)
        throw DataError(fmt::format("{}: shape {}, expected [antennas, 3]", impl_->where(p("antenna_xyz")), shape_text(s)));
      obs.antenna_xyz = impl_->read_checked<double>(p("antenna_xyz"), s);
    }
  })
  auto opt_double = [&](const char* key, double fallback) { return has_attr(g, key) ? attr_double(g, key) : fallback; };
  obs.ra = opt_double("ra_rad", 0);
  obs.dec = opt_double("dec_rad", 0);
  obs.interval = opt_double("interval_s", 0);
  obs.dish_diameter = opt_double("dish_diameter_m", obs.dish_diameter);
  obs.frequency_known = opt_double("frequency_known", 1) != 0;
  if (has_attr(g, "telescope")) obs.telescope = attr_string(g, "telescope");
  if (has_attr(g, "field")) obs.field = attr_string(g, "field");
  obs.check_shapes(impl_->path + ":" + g);
  return obs;
}

std::vector<std::string> Hdf5Store::list() const {
  std::vector<std::string> out;
  PENUMBRA_H5_GUARD("/", impl_->list_into("/", out);)
  return out;
}

#undef PENUMBRA_H5_GUARD

}  // namespace penumbra
