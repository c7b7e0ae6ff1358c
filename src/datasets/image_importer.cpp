#include "src/datasets/image_importer.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/datasets/image_resize.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/io/png.hpp"

namespace penumbra {

void write_image_stack(const std::filesystem::path& path, const std::string& name, const std::vector<float>& images,
                       std::int64_t count, int height, int width, const std::string& normalisation,
                       const std::string& source) {
  if (images.size() != std::size_t(count) * height * width)
    throw InternalError("write_image_stack: " + std::to_string(images.size()) + " values for " + std::to_string(count) +
                        "×" + std::to_string(height) + "×" + std::to_string(width));
  Hdf5Store store(path, Hdf5Store::Mode::kCreate);
  Array<float> a;
  a.data = images;
  a.shape = {std::size_t(count), std::size_t(height), std::size_t(width)};
  std::string ds = "/" + name;
  store.write(ds, a, "");
  store.set_attr(ds, "normalisation", normalisation);
  store.set_attr(ds, "source", source);
}

ImageStack read_image_stack(const std::filesystem::path& path, const std::string& name) {
  require_exists(path.string(), "image dataset");
  Hdf5Store store(path, Hdf5Store::Mode::kRead);
  std::string ds = "/" + name;
  if (!store.has(ds)) throw DataError(path.string() + ": no dataset '" + ds + "' (expected an [N,H,W] image stack)");
  auto shape = store.shape(ds);
  if (shape.size() != 3 || shape[0] == 0 || shape[1] == 0 || shape[2] == 0)
    throw DataError(path.string() + ":" + ds + " has rank " + std::to_string(shape.size()) +
                    "; expected a non-empty [N,H,W] image stack");
  ImageStack s;
  auto a = store.read_float(ds);
  s.images = std::move(a.data);
  s.count = std::int64_t(shape[0]);
  s.height = int(shape[1]);
  s.width = int(shape[2]);
  if (store.has_attr(ds, "normalisation")) s.normalisation = store.attr_string(ds, "normalisation");
  if (store.has_attr(ds, "source")) s.source = store.attr_string(ds, "source");
  for (float v : s.images)
    if (!std::isfinite(v)) throw DataError(path.string() + ":" + ds + " contains a non-finite pixel value");
  return s;
}

namespace {

// PNG rows run top→bottom; ImageGrid row 0 is the South (bottom) edge.
std::vector<float> read_png_grey(const std::filesystem::path& path, int& h, int& w) {
  auto img = read_png_rgb(path);
  h = img.height;
  w = img.width;
  auto top_first = luminance(img);
  std::vector<float> grey(top_first.size());
  for (int y = 0; y < h; ++y)
    std::copy_n(top_first.begin() + std::ptrdiff_t(y) * w, w, grey.begin() + std::ptrdiff_t(h - 1 - y) * w);
  return grey;
}

}  // namespace

std::vector<float> prepare_image(const std::vector<float>& grey, int h, int w, const ImportOptions& opt,
                                 std::uint64_t index) {
  if (opt.size < 4) throw UsageError("import: size " + std::to_string(opt.size) + "; expected ≥ 4");
  if (!(opt.crop > 0 && opt.crop <= 1)) throw UsageError("import: crop " + std::to_string(opt.crop) + "; expected (0, 1]");
  auto img = crop_resize(grey.data(), h, w, opt.crop, opt.size);
  int n = opt.size;
  if (opt.subtract_background) {
    std::vector<float> border;
    for (int i = 0; i < n; ++i) {
      border.push_back(img[i]);
      border.push_back(img[std::size_t(n - 1) * n + i]);
      border.push_back(img[std::size_t(i) * n]);
      border.push_back(img[std::size_t(i) * n + n - 1]);
    }
    std::nth_element(border.begin(), border.begin() + border.size() / 2, border.end());
    float bg = border[border.size() / 2];
    for (auto& v : img) v = std::max(0.f, v - bg);
  }
  float peak = *std::max_element(img.begin(), img.end());
  auto rng = make_rng(opt.seed, index);
  double target = opt.peak_max > opt.peak_min ? std::uniform_real_distribution<double>(opt.peak_min, opt.peak_max)(rng)
                                              : opt.peak_min;
  if (peak > 0)
    for (auto& v : img) v = float(v * target / peak);
  return img;
}

ImageStack import_images(const std::filesystem::path& input, const ImportOptions& opt) {
  require_exists(input.string(), "images to import");
  ImageStack s;
  s.height = s.width = opt.size;
  s.normalisation = "peak";
  auto add = [&](const std::vector<float>& grey, int h, int w) {
    auto img = prepare_image(grey, h, w, opt, std::uint64_t(s.count));
    s.images.insert(s.images.end(), img.begin(), img.end());
    ++s.count;
  };
  if (std::filesystem::is_directory(input)) {
    std::vector<std::filesystem::path> files;
    for (auto& e : std::filesystem::directory_iterator(input)) {
      auto ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      if (ext == ".fits" || ext == ".fit" || ext == ".png") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) throw DataError(input.string() + ": no .fits, .fit or .png files to import");
    for (auto& f : files) {
      auto ext = f.extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      if (ext == ".png") {
        int h, w;
        auto g = read_png_grey(f, h, w);
        add(g, h, w);
      } else {
        auto im = read_fits_image(f);
        std::vector<float> g(im.pixels.begin(), im.pixels.end());
        add(g, im.grid.ny, im.grid.nx);
      }
    }
    s.source = "import of folder " + input.string() + " (" + std::to_string(files.size()) + " files)";
    return s;
  }
  Hdf5Store store(input, Hdf5Store::Mode::kRead);
  std::string name = opt.dataset;
  if (name.empty()) {
    for (auto& d : store.list()) {
      auto sh = store.shape(d);
      if (sh.size() == 3 || (sh.size() == 4 && (sh[3] == 3 || sh[3] == 1))) {
        name = d;
        break;
      }
    }
    if (name.empty()) throw DataError(input.string() + ": no N×H×W or N×H×W×3 array to import");
  }
  if (name.front() != '/') name = "/" + name;
  if (!store.has(name)) throw DataError(input.string() + ": no dataset '" + name + "'");
  auto sh = store.shape(name);
  bool rgb = sh.size() == 4 && sh[3] == 3;
  if (!(sh.size() == 3 || (sh.size() == 4 && (sh[3] == 3 || sh[3] == 1))))
    throw DataError(input.string() + ":" + name + " has rank " + std::to_string(sh.size()) +
                    "; expected N×H×W or N×H×W×3");
  int h = int(sh[1]), w = int(sh[2]);
  std::size_t per = std::size_t(h) * w * (rgb ? 3 : 1);
  for (std::size_t i = 0; i < sh[0]; i += 256) {
    std::size_t cnt = std::min<std::size_t>(256, sh[0] - i);
    auto rows = store.read_rows(name, i, cnt);
    for (std::size_t k = 0; k < cnt; ++k) {
      std::vector<float> g(std::size_t(h) * w);
      const float* p = rows.data.data() + k * per;
      for (std::size_t j = 0; j < g.size(); ++j)
        g[j] = rgb ? float(0.299 * p[3 * j] + 0.587 * p[3 * j + 1] + 0.114 * p[3 * j + 2]) : p[j];
      add(g, h, w);
    }
  }
  s.source = "import of " + input.string() + ":" + name;
  return s;
}

}  // namespace penumbra
