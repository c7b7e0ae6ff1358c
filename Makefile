# The README's two commands. Both set everything up first (scripts/setup.sh
# installs missing Debian packages, configures and builds into build/).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: run test setup clean

setup:
	BUILD_DIR=$(BUILD_DIR) scripts/setup.sh

# The main job on the embedded default: builds only the CLI and its libraries
# (the tests and benchmarks are most of a fresh build's time).
run:
	BUILD_DIR=$(BUILD_DIR) scripts/setup.sh penumbra
	scripts/demo.sh $(BUILD_DIR)

# The whole test suite (builds everything first).
test: setup
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

clean:
	rm -rf $(BUILD_DIR)
