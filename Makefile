# xkvm: on a fresh Debian 12 machine, `make demo` and `make check` are all
# it takes; both install what they need (as root) and build first.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
SOURCES    := $(shell git ls-files '*.c' '*.h' 2>/dev/null)

WEB_SOURCES := $(shell git ls-files web 2>/dev/null)

.PHONY: all deps assets build asan fuzz web demo check bench lint format clean

all: build

deps:
	@tools/install-deps

assets: deps
	@tools/guest-assets

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

# Unit tests also run under AddressSanitizer and UndefinedBehaviorSanitizer.
$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Dbuildtype=debug

asan: deps $(ASAN_BUILD)/build.ninja
	@ninja -C $(ASAN_BUILD)

# libFuzzer targets (clang): guest-facing parsers and rings, the WebSocket codec, the REST API.
FUZZ_TARGETS := xenstore xenstore_quota blkback netback xs_ring console evtchn hypercall websocket api
$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Dtests=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

fuzz: deps $(FUZZ_BUILD)/build.ninja
	@ninja -C $(FUZZ_BUILD) $(addprefix fuzz_,$(FUZZ_TARGETS))

# The web UI xkvmd serves: built from web/ with npm (lockfile), into web/dist.
web: deps web/dist/index.html

web/dist/index.html: $(WEB_SOURCES)
	@cd web && npm ci --no-audit --no-fund --silent && npm run build --silent

demo: build assets web
	@tools/demo

check: build asan fuzz assets web
	@tests/run

bench: build assets
	@bench/run

lint: build
	clang-tidy --quiet -p $(BUILD) $(filter-out tests/guests/xentest/% tests/fuzz/% bench/tools/%,$(filter %.c,$(SOURCES)))
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem -I src src

format:
	clang-format -i $(SOURCES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) web/dist web/node_modules tests/web/node_modules
