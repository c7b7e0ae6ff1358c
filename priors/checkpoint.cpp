#include "priors/checkpoint.hpp"

#include <torch/torch.h>

#include <cstring>
#include <fstream>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"

namespace penumbra {

namespace {

constexpr char kMagic[8] = {'P', 'N', 'B', 'R', 'P', 'R', 'I', 'O'};

std::uint64_t fnv1a(const char* p, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

struct Reader {
  const std::string& buf;
  std::size_t pos = 0, end;
  const std::filesystem::path& path;
  void need(std::size_t n, const char* what) {
    if (n > end - pos)
      throw DataError(path.string() + ": checkpoint truncated or corrupt while reading " + what + " at byte " +
                      std::to_string(pos));
  }
  template <class T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, buf.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string bytes(std::size_t n, const char* what) {
    need(n, what);
    std::string s(buf.data() + pos, n);
    pos += n;
    return s;
  }
};

}  // namespace

const at::Tensor& CheckpointData::tensor(const std::string& name) const {
  for (auto& [n, t] : tensors)
    if (n == name) return t;
  throw DataError(path.string() + ": checkpoint has no tensor '" + name + "'");
}

bool CheckpointData::has(const std::string& name) const {
  for (auto& [n, t] : tensors)
    if (n == name) return true;
  return false;
}

void save_checkpoint(const std::filesystem::path& path, const nlohmann::json& header,
                     const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  std::string out;
  out.append(kMagic, 8);
  put<std::uint32_t>(out, kCheckpointFormatVersion);
  std::string js = header.dump();
  put<std::uint64_t>(out, js.size());
  out += js;
  put<std::uint32_t>(out, static_cast<std::uint32_t>(tensors.size()));
  for (auto& [name, t0] : tensors) {
    auto t = t0.detach().to(torch::kCPU).contiguous();
    std::uint8_t dt;
    if (t.scalar_type() == torch::kFloat32) dt = 0;
    else if (t.scalar_type() == torch::kFloat64) dt = 1;
    else if (t.scalar_type() == torch::kInt64) dt = 2;
    else throw InternalError("checkpoint: tensor '" + name + "' has unsupported dtype " + std::string(c10::toString(t.scalar_type())));
    put<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
    out += name;
    put<std::uint8_t>(out, dt);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(t.dim()));
    for (auto d : t.sizes()) put<std::int64_t>(out, d);
    std::uint64_t nb = t.numel() * t.element_size();
    put<std::uint64_t>(out, nb);
    out.append(static_cast<const char*>(t.data_ptr()), nb);
  }
  put<std::uint64_t>(out, fnv1a(out.data(), out.size()));
  write_atomic(path, [&](const std::filesystem::path& tmp) {
    std::ofstream f(tmp, std::ios::binary);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.close();
    if (!f) throw DataError(tmp.string() + ": cannot write checkpoint (disk full or not writable?)");
  });
}

CheckpointData load_checkpoint(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw MissingInputError(path.string() + ": checkpoint not found");
  if (std::filesystem::is_directory(path))
    throw DataError(path.string() + ": is a folder; expected a Penumbra prior checkpoint file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw MissingInputError(path.string() + ": cannot open checkpoint");
  std::string buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (buf.size() < 8 || std::memcmp(buf.data(), kMagic, 8) != 0)
    throw DataError(path.string() + ": not a Penumbra prior checkpoint (magic bytes 'PNBRPRIO' missing)");
  if (buf.size() < 8 + 4 + 8 + 4 + 8)
    throw DataError(path.string() + ": checkpoint truncated (" + std::to_string(buf.size()) + " bytes)");
  std::uint64_t stored;
  std::memcpy(&stored, buf.data() + buf.size() - 8, 8);
  Reader r{buf, 8, buf.size() - 8, path};
  auto version = r.get<std::uint32_t>("format version");
  if (version != kCheckpointFormatVersion)
    throw DataError(path.string() + ": checkpoint format version " + std::to_string(version) + "; this Penumbra reads " +
                    std::to_string(kCheckpointFormatVersion));
  if (fnv1a(buf.data(), buf.size() - 8) != stored)
    throw DataError(path.string() + ": checkpoint is corrupt or truncated (checksum mismatch, " +
                    std::to_string(buf.size()) + " bytes)");
  CheckpointData d;
  d.path = path;
  auto jlen = r.get<std::uint64_t>("header length");
  auto js = r.bytes(jlen, "header");
  try {
    d.header = nlohmann::json::parse(js);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path.string() + ": checkpoint header is not valid JSON (" + e.what() + ")");
  }
  auto n = r.get<std::uint32_t>("tensor count");
  for (std::uint32_t i = 0; i < n; ++i) {
    auto nl = r.get<std::uint32_t>("tensor name length");
    auto name = r.bytes(nl, "tensor name");
    auto dt = r.get<std::uint8_t>("dtype");
    auto nd = r.get<std::uint32_t>("rank");
    if (dt > 2 || nd > 8)
      throw DataError(path.string() + ": tensor '" + name + "' has dtype code " + std::to_string(dt) + " and rank " +
                      std::to_string(nd) + "; expected dtype 0..2 and rank ≤ 8");
    std::vector<std::int64_t> dims(nd);
    std::uint64_t numel = 1;
    for (auto& x : dims) {
      x = r.get<std::int64_t>("shape");
      if (x < 0 || x > (std::int64_t(1) << 40))
        throw DataError(path.string() + ": tensor '" + name + "' has dimension " + std::to_string(x));
      numel *= static_cast<std::uint64_t>(x);
    }
    auto st = dt == 0 ? torch::kFloat32 : dt == 1 ? torch::kFloat64 : torch::kInt64;
    std::uint64_t es = dt == 0 ? 4 : 8;
    auto nb = r.get<std::uint64_t>("byte count");
    if (nb != numel * es)
      throw DataError(path.string() + ": tensor '" + name + "' holds " + std::to_string(nb) + " bytes; its shape needs " +
                      std::to_string(numel * es));
    r.need(nb, "tensor data");
    auto t = torch::empty(dims, torch::TensorOptions().dtype(st));
    std::memcpy(t.data_ptr(), buf.data() + r.pos, nb);
    r.pos += nb;
    d.tensors.emplace_back(std::move(name), std::move(t));
  }
  if (r.pos != r.end)
    throw DataError(path.string() + ": checkpoint has " + std::to_string(r.end - r.pos) + " unexpected trailing bytes");
  return d;
}

}  // namespace penumbra
