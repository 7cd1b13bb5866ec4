# The front door. Each target installs what it needs (scripts/install-deps) before it builds.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
DB ?= sqlite:juwei-data/juwei.db
JOBS ?= $(shell nproc)

.PHONY: all build test demo bench deps format clean

all: build

deps:
	@scripts/install-deps build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test:
	@scripts/install-deps test
	cd tools && npm ci --no-audit --no-fund
	$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	$(BUILD)/src/cli/juwei demo --db $(DB)

bench:
	@scripts/install-deps bench
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DJUWEI_BENCH=ON
	cmake --build $(BUILD) -j $(JOBS)
	$(BUILD)/bench/juwei_bench --out $(BUILD)/bench-results.json

format:
	find src bench tests -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
