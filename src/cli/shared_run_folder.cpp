#include "src/cli/shared_run_folder.hpp"

#include "src/parallel/communicator.hpp"

namespace penumbra::cli {

std::filesystem::path shared_run_dir(Context& ctx, const std::string& command) {
  return parallel::decide_on_root([&] { return ctx.run(command).dir().string(); });
}

}  // namespace penumbra::cli
