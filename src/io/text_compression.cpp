#include "src/io/text_compression.hpp"

#include <bzlib.h>
#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"

namespace penumbra {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string read_raw(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw MissingInputError(fmt::format("file not found: {}", path.string()));
  if (std::filesystem::is_directory(path, ec))
    throw DataError(fmt::format("{}: is a directory, expected a text file", path.string()));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw DataError(fmt::format("{}: cannot open for reading", path.string()));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw DataError(fmt::format("{}: read error", path.string()));
  return ss.str();
}

// Chunks are bounded so the unsigned-int lengths of the C APIs never overflow.
constexpr std::size_t kChunk = 1 << 20;

std::string bunzip(const std::string& in, const std::filesystem::path& path) {
  if (in.size() < 3 || in.compare(0, 3, "BZh") != 0)
    throw DataError(fmt::format("{}: not a bzip2 stream (no 'BZh' magic) although the name ends in .bz2", path.string()));
  std::string out;
  std::size_t pos = 0;
  // A file may hold several concatenated streams (pbzip2, `cat a.bz2 b.bz2`).
  while (pos < in.size()) {
    bz_stream s{};
    if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) throw DataError(fmt::format("{}: bzip2 init failed", path.string()));
    int rc = BZ_OK;
    std::string buf(kChunk, '\0');
    while (true) {
      if (s.avail_in == 0 && pos < in.size()) {
        std::size_t n = std::min(kChunk, in.size() - pos);
        s.next_in = const_cast<char*>(in.data() + pos);
        s.avail_in = static_cast<unsigned>(n);
        pos += n;
      }
      s.next_out = buf.data();
      s.avail_out = static_cast<unsigned>(buf.size());
      unsigned in_before = s.avail_in;
      rc = BZ2_bzDecompress(&s);
      out.append(buf.data(), buf.size() - s.avail_out);
      if (rc == BZ_STREAM_END) break;
      if (rc != BZ_OK) {
        BZ2_bzDecompressEnd(&s);
        throw DataError(fmt::format("{}: corrupt bzip2 data (libbz2 error {}) at compressed byte {}", path.string(),
                                    rc, pos - s.avail_in));
      }
      if (s.avail_in == 0 && pos >= in.size() && s.avail_out != 0 && in_before == 0) {
        BZ2_bzDecompressEnd(&s);
        throw DataError(fmt::format("{}: truncated bzip2 file (stream ends after {} compressed bytes)",
                                    path.string(), in.size()));
      }
    }
    pos -= s.avail_in;  // unconsumed bytes belong to the next stream
    BZ2_bzDecompressEnd(&s);
    // Trailing zero padding (from some tape/tar tools) is not another stream.
    if (pos < in.size() && in.compare(pos, 3, "BZh") != 0) break;
  }
  return out;
}

std::string gunzip(const std::string& in, const std::filesystem::path& path) {
  if (in.size() < 2 || static_cast<unsigned char>(in[0]) != 0x1f || static_cast<unsigned char>(in[1]) != 0x8b)
    throw DataError(fmt::format("{}: not a gzip stream (no 1f 8b magic) although the name ends in .gz", path.string()));
  std::string out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    z_stream s{};
    if (inflateInit2(&s, 15 + 16) != Z_OK) throw DataError(fmt::format("{}: zlib init failed", path.string()));
    std::string buf(kChunk, '\0');
    int rc = Z_OK;
    while (true) {
      if (s.avail_in == 0 && pos < in.size()) {
        std::size_t n = std::min(kChunk, in.size() - pos);
        s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
        s.avail_in = static_cast<uInt>(n);
        pos += n;
      }
      s.next_out = reinterpret_cast<Bytef*>(buf.data());
      s.avail_out = static_cast<uInt>(buf.size());
      rc = inflate(&s, Z_NO_FLUSH);
      out.append(buf.data(), buf.size() - s.avail_out);
      if (rc == Z_STREAM_END) break;
      if (rc == Z_BUF_ERROR && s.avail_in == 0 && pos >= in.size()) {
        inflateEnd(&s);
        throw DataError(fmt::format("{}: truncated gzip file (stream ends after {} compressed bytes)", path.string(),
                                    in.size()));
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        std::string msg = s.msg ? s.msg : "unknown";
        inflateEnd(&s);
        throw DataError(fmt::format("{}: corrupt gzip data ({})", path.string(), msg));
      }
    }
    pos -= s.avail_in;
    inflateEnd(&s);
    if (pos + 1 < in.size() &&
        !(static_cast<unsigned char>(in[pos]) == 0x1f && static_cast<unsigned char>(in[pos + 1]) == 0x8b))
      break;
    if (pos + 1 == in.size()) break;
  }
  return out;
}

std::string bzip(const std::string& in, const std::filesystem::path& path) {
  bz_stream s{};
  if (BZ2_bzCompressInit(&s, 9, 0, 0) != BZ_OK) throw DataError(fmt::format("{}: bzip2 init failed", path.string()));
  std::string out, buf(kChunk, '\0');
  std::size_t pos = 0;
  int rc;
  do {
    if (s.avail_in == 0 && pos < in.size()) {
      std::size_t n = std::min(kChunk, in.size() - pos);
      s.next_in = const_cast<char*>(in.data() + pos);
      s.avail_in = static_cast<unsigned>(n);
      pos += n;
    }
    s.next_out = buf.data();
    s.avail_out = static_cast<unsigned>(buf.size());
    rc = BZ2_bzCompress(&s, pos >= in.size() ? BZ_FINISH : BZ_RUN);
    out.append(buf.data(), buf.size() - s.avail_out);
    if (rc < 0) {
      BZ2_bzCompressEnd(&s);
      throw DataError(fmt::format("{}: bzip2 compression failed (libbz2 error {})", path.string(), rc));
    }
  } while (rc != BZ_STREAM_END);
  BZ2_bzCompressEnd(&s);
  return out;
}

std::string gzip(const std::string& in, const std::filesystem::path& path) {
  z_stream s{};
  if (deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw DataError(fmt::format("{}: zlib init failed", path.string()));
  std::string out, buf(kChunk, '\0');
  std::size_t pos = 0;
  int rc;
  do {
    if (s.avail_in == 0 && pos < in.size()) {
      std::size_t n = std::min(kChunk, in.size() - pos);
      s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
      s.avail_in = static_cast<uInt>(n);
      pos += n;
    }
    s.next_out = reinterpret_cast<Bytef*>(buf.data());
    s.avail_out = static_cast<uInt>(buf.size());
    rc = deflate(&s, pos >= in.size() ? Z_FINISH : Z_NO_FLUSH);
    out.append(buf.data(), buf.size() - s.avail_out);
    if (rc == Z_STREAM_ERROR) {
      deflateEnd(&s);
      throw DataError(fmt::format("{}: gzip compression failed", path.string()));
    }
  } while (rc != Z_STREAM_END);
  deflateEnd(&s);
  return out;
}

}  // namespace

Compression compression_for(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  if (ends_with(name, ".bz2")) return Compression::kBzip2;
  if (ends_with(name, ".gz")) return Compression::kGzip;
  return Compression::kNone;
}

std::string read_compressed_text(const std::filesystem::path& path) {
  std::string raw = read_raw(path);
  switch (compression_for(path)) {
    case Compression::kBzip2: return bunzip(raw, path);
    case Compression::kGzip: return gunzip(raw, path);
    case Compression::kNone: break;
  }
  return raw;
}

void write_compressed_text(const std::filesystem::path& path, const std::string& text) {
  switch (compression_for(path)) {
    case Compression::kBzip2: write_text_atomic(path, bzip(text, path)); return;
    case Compression::kGzip: write_text_atomic(path, gzip(text, path)); return;
    case Compression::kNone: write_text_atomic(path, text); return;
  }
}

}  // namespace penumbra
