#pragma once
// Whole-file text I/O with transparent compression chosen by the file name's
// suffix: ".bz2" → bzip2 (libbz2), ".gz" → gzip (zlib), anything else → plain.
// Used by the uvtable reader/writer; small enough files (tens of MB) that
// holding the decompressed text in memory is the simple, fast choice.
#include <filesystem>
#include <string>

namespace penumbra {

enum class Compression { kNone, kBzip2, kGzip };

// By suffix only (".bz2", ".gz"; case-sensitive, as on disk).
Compression compression_for(const std::filesystem::path& path);

// Reads and decompresses the whole file.
// Throws MissingInputError when `path` does not exist, DataError naming the
// file when it cannot be read or its compressed stream is corrupt or truncated.
std::string read_compressed_text(const std::filesystem::path& path);

// Compresses `text` and writes it through `path.tmp` + rename (never leaves a
// half-written file under `path`). Throws DataError naming the file on failure.
void write_compressed_text(const std::filesystem::path& path, const std::string& text);

}  // namespace penumbra
