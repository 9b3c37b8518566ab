# mamori — the two commands a newcomer needs are `make demo` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
SHARED_DATA ?= $(abspath ../shared/data)

.PHONY: all bootstrap configure build test demo bench fuzz format tidy clean

all: build

bootstrap:
	./scripts/bootstrap

configure:
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DMAMORI_SHARED_DATA=$(SHARED_DATA); \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: bootstrap
	$(MAKE) build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

demo: bootstrap
	$(MAKE) build
	./scripts/demo

bench: bootstrap
	$(MAKE) build
	./bench/run-all

fuzz: bootstrap
	./fuzz/run $(FUZZ_SECONDS)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

tidy: configure
	git ls-files 'libmamori/*.cpp' 'apps/*.cpp' | xargs clang-tidy -p $(BUILD_DIR) --quiet

clean:
	rm -rf $(BUILD_DIR)
