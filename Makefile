# Thin wrapper over meson, as the original project had one.
# Every target installs what it needs first (scripts/setup-deps.sh is
# idempotent and quiet when nothing is missing).

BUILD      ?= build
BUILD_SAN  ?= build-san
BUILD_FUZZ ?= build-fuzz
BUILD_COV  ?= build-cov
FUZZ_SECONDS ?= 60

.PHONY: all deps build demo test test-unit test-san leak-check lint fuzz coverage bench e2e clean

all: build

deps:
	@bash scripts/setup-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

$(BUILD_SAN)/build.ninja:
	CC=clang meson setup $(BUILD_SAN) --buildtype=debug \
	  -Db_sanitize=address,undefined -Db_lundef=false

$(BUILD_FUZZ)/build.ninja:
	CC=clang meson setup $(BUILD_FUZZ) --buildtype=debug -Dtests=disabled \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=true

$(BUILD_COV)/build.ninja:
	meson setup $(BUILD_COV) --buildtype=debug -Db_coverage=true

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	@bash scripts/demo.sh $(BUILD)

# Every suite: unit, corpus, fuzz-corpus replay and integration tests in the
# normal build and again under ASan+UBSan, then the leak check.  The last
# line is the sum over all of them.
test: deps $(BUILD)/build.ninja $(BUILD_SAN)/build.ninja
	@bash scripts/run-tests.sh $(BUILD) $(BUILD_SAN)

lint: deps $(BUILD)/build.ninja
	@bash scripts/lint.sh $(BUILD)

fuzz: deps $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ)
	@bash scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

coverage: deps $(BUILD_COV)/build.ninja
	ninja -C $(BUILD_COV)
	find $(BUILD_COV) -name "*.gcda" -delete
	# The unit-level suites: the daemon's integration suites run confined
	# processes, which cannot write coverage data (and need not: they are
	# measured for what they prove, not for lines of common/).
	meson test -C $(BUILD_COV) --no-rebuild --print-errorlogs \
	  --suite unit --suite fuzz-replay --suite check --suite corpus
	gcovr --root . --filter 'common/' $(BUILD_COV)/common \
	  --txt --print-summary --fail-under-line 90

bench: build
	@echo "bench: no benchmarks yet (the daemon's benchmarks come with it)"

# Boot a Debian 12 kernel with AppArmor in QEMU (TCG) and run the guest
# checks of tests/e2e/ against it; last line "N passed, N failed".
e2e: build
	@bash tests/e2e/run-e2e.sh --build-dir $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ) $(BUILD_COV)
