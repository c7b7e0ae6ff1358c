#pragma once
// Exceptions the library throws. Each carries the CLI exit code it maps to
// (sysexits.h values), so the CLI turns any of them into one line and a code.
#include <stdexcept>
#include <string>

namespace penumbra {

enum class ExitCode : int { kOk = 0, kUsage = 64, kBadData = 65, kMissingInput = 66, kInternal = 70 };

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& what) : std::runtime_error(what), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Wrong arguments or options: what was given and what was expected.
struct UsageError : Error {
  explicit UsageError(const std::string& what) : Error(ExitCode::kUsage, what) {}
};
// Input that exists but is malformed: name the file, column, row and value.
struct DataError : Error {
  explicit DataError(const std::string& what) : Error(ExitCode::kBadData, what) {}
};
// A file or folder that is not there.
struct MissingInputError : Error {
  explicit MissingInputError(const std::string& what) : Error(ExitCode::kMissingInput, what) {}
};
// A broken invariant inside Penumbra (a bug, or a diverging numerical method).
struct InternalError : Error {
  explicit InternalError(const std::string& what) : Error(ExitCode::kInternal, what) {}
};

// Throws MissingInputError unless `path` exists.
void require_exists(const std::string& path, const std::string& what);

}  // namespace penumbra
