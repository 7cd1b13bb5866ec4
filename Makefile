# The front door. Each target installs what it needs (scripts/install-deps) before it builds.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
DB ?= sqlite:juwei-data/juwei.db
# Days of past records the demo's seed community is made with (charts and reports to show).
DEMO_HISTORY ?= 14
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 600
ASAN_BUILD ?= build-asan

.PHONY: all build web test test-sanitized demo bench fuzz deps format clean
# The built web app, served by the binary: $(BUILD)/share/juwei/web beside $(BUILD)/src/cli/juwei
# (an install puts bin/juwei beside share/juwei/web).
WEB_OUT := $(BUILD)/share/juwei/web
WEB_SOURCES := $(shell find web/src web/index.html web/vite.config.js web/package.json -type f 2>/dev/null)

all: build

deps:
	@scripts/install-deps build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

# The web app is part of the build: the binary serves it and the browser test drives it.
build: deps web $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# npm ci only when the lock file changed; the Vite build only when a source did.
web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web: deps web/node_modules/.installed $(WEB_OUT)/index.html

# Text files also go precompressed (X.gz beside X): the server sends those to browsers that take
# gzip: about a third of the bytes, for gate phones on a weak network.
$(WEB_OUT)/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npx vite build --outDir $(abspath $(WEB_OUT)) --emptyOutDir
	find $(WEB_OUT) -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' \) \
	  -exec gzip -9 -k -f {} +

test:
	@scripts/install-deps test
	cd tools && npm ci --no-audit --no-fund
	$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory test-sanitized

# The C++ tests again, built by clang-19 with ASan and UBSan (UB aborts) in $(ASAN_BUILD): the
# juwei binary the API and command-line tests start is instrumented too. The same build is
# instrumented for libFuzzer, so it also builds the fuzz targets, run for 60 s in all.
# -O1 and line tables only: a quicker build, and reports still name functions and lines. The
# libraries' own lifetime caches (fontconfig, cairo) are not leaks: tests/sanitizers/lsan.supp.
test-sanitized: export LSAN_OPTIONS = suppressions=$(CURDIR)/tests/sanitizers/lsan.supp
test-sanitized: export ASAN_SYMBOLIZER_PATH = $(shell command -v llvm-symbolizer-19)
test-sanitized:
	@scripts/install-deps test
	test -f $(ASAN_BUILD)/build.ninja || CC=clang-19 CXX=clang++-19 cmake -S . -B $(ASAN_BUILD) \
	  -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
	  -DJUWEI_FUZZ=ON -DJUWEI_SPEC_VALIDATOR=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) \
	  -E '^(browser_.*|offline_vectors_js|web_format_js|openapi_lint)$$'
	FUZZ_BUILD=$(ASAN_BUILD) JOBS=$(JOBS) scripts/fuzz 60

demo: build
	$(BUILD)/src/cli/juwei demo --db $(DB) --history $(DEMO_HISTORY)

bench:
	@scripts/install-deps bench
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DJUWEI_BENCH=ON
	cmake --build $(BUILD) -j $(JOBS)
	$(BUILD)/bench/juwei_bench --out $(BUILD)/bench-results.json

# The sharded layout (docs/scale.md) against one plain PostgreSQL, not part of `make bench` nor of
# `make test`: it starts a coordinator, two shards and a plain server in $(BUILD)/bench-shards and
# loads 300 communities (1.1 M residents) into both, a few minutes.
.PHONY: bench-shards
bench-shards:
	@scripts/install-deps bench
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DJUWEI_BENCH=ON
	cmake --build $(BUILD) -j $(JOBS) --target juwei_shard_bench
	$(BUILD)/bench/juwei_shard_bench --out $(BUILD)/shard-bench-results.json

# libFuzzer targets (fuzz/) in their own instrumented build, build-fuzz/: FUZZ_SECONDS in all.
fuzz:
	@scripts/install-deps fuzz
	JOBS=$(JOBS) scripts/fuzz $(FUZZ_SECONDS)

# The soak (issue 16), not part of `make test`: bench/soak runs gate checks and desk reads against
# the real server at 128 connections for SOAK_SECONDS and fails on any error or on RSS growth;
# its files (rss.csv, wrk's reports, summary.txt) go to $(BUILD)/soak.
SOAK_SECONDS ?= 600
.PHONY: soak
soak:
	@scripts/install-deps bench
	$(MAKE) --no-print-directory $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target juwei
	SOAK_SECONDS=$(SOAK_SECONDS) bench/soak $(BUILD)/src/cli/juwei $(BUILD)/soak

format:
	find src bench tests fuzz -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) web/node_modules
