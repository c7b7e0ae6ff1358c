#include "src/cli/shared_run_folder.hpp"

#include "src/core/errors.hpp"
#include "src/parallel/communicator.hpp"

namespace penumbra::cli {

std::filesystem::path shared_run_dir(Context& ctx, const std::string& command) {
  if (parallel::size() == 1) return ctx.run(command).dir();
  std::string dir, problem;
  if (parallel::is_root()) {
    try {
      dir = ctx.run(command).dir().string();
    } catch (const Error& e) {  // e.g. a folder that cannot be created: every rank stops with it
      problem = e.what();
    }
  }
  parallel::agree_or_throw(problem);
  parallel::broadcast(dir);
  return dir;
}

}  // namespace penumbra::cli
