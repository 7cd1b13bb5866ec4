# The front door. Each target installs what it needs (scripts/install-deps) before it builds.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
DB ?= sqlite:juwei-data/juwei.db
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 600

.PHONY: all build web test demo bench fuzz deps format clean
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

demo: build
	$(BUILD)/src/cli/juwei demo --db $(DB)

bench:
	@scripts/install-deps bench
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DJUWEI_BENCH=ON
	cmake --build $(BUILD) -j $(JOBS)
	$(BUILD)/bench/juwei_bench --out $(BUILD)/bench-results.json

# libFuzzer targets (fuzz/) in their own instrumented build, build-fuzz/: FUZZ_SECONDS in all.
fuzz:
	@scripts/install-deps fuzz
	JOBS=$(JOBS) scripts/fuzz $(FUZZ_SECONDS)

format:
	find src bench tests fuzz -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) web/node_modules
