# xkvm: on a fresh Debian 12 machine, `make demo` and `make check` are all
# it takes; both install what they need (as root) and build first.

BUILD      ?= build
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
SOURCES    := $(shell git ls-files '*.c' '*.h' 2>/dev/null)

WEB_SOURCES := $(shell git ls-files web 2>/dev/null)

.PHONY: all deps assets build asan fuzz web demo check bench bench-modes lint format clean install uninstall

all: build

deps:
	@tools/install-deps

assets: deps
	@tools/guest-assets

# The packages come first: meson setup looks for them (order-only, so that
# `make -j` cannot run the two at once, and a done setup is not redone).
$(BUILD)/build.ninja: | deps
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

# xkvm and xkvmd on PATH ($(BINDIR)); the web UI where xkvmd looks for it
# beside its binary ($(DATADIR)/xkvm/web), when built (make web).
install: build
	install -D -m 0755 $(BUILD)/xkvm $(DESTDIR)$(BINDIR)/xkvm
	install -D -m 0755 $(BUILD)/xkvmd $(DESTDIR)$(BINDIR)/xkvmd
	@if [ -f web/dist/index.html ]; then \
		mkdir -p $(DESTDIR)$(DATADIR)/xkvm/web && \
		cp -R web/dist/. $(DESTDIR)$(DATADIR)/xkvm/web/ && \
		echo "web UI installed in $(DESTDIR)$(DATADIR)/xkvm/web"; \
	else \
		echo "web UI not built (make web): not installed"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/xkvm $(DESTDIR)$(BINDIR)/xkvmd
	rm -rf $(DESTDIR)$(DATADIR)/xkvm/web

# Unit tests also run under AddressSanitizer and UndefinedBehaviorSanitizer.
$(ASAN_BUILD)/build.ninja: | deps
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Dbuildtype=debug

asan: deps $(ASAN_BUILD)/build.ninja
	@ninja -C $(ASAN_BUILD)

# libFuzzer targets (clang): guest-facing parsers and rings, the WebSocket codec, the REST API.
FUZZ_TARGETS := xenstore xenstore_quota blkback netback rtl8139 xs_ring console evtchn hypercall websocket \
	api ide pci
$(FUZZ_BUILD)/build.ninja: | deps
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Dtests=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

fuzz: deps $(FUZZ_BUILD)/build.ninja
	@ninja -C $(FUZZ_BUILD) $(addprefix fuzz_,$(FUZZ_TARGETS))

# The web UI xkvmd serves: built from web/ with npm (lockfile), into web/dist.
web: deps web/dist/index.html

web/dist/index.html: $(WEB_SOURCES) | deps
	@cd web && npm ci --no-audit --no-fund --silent && npm run build --silent

demo: build assets web
	@tools/demo

check: build asan fuzz assets web
	@tests/run

bench: build assets
	@bench/run

# The modes table and chart alone (bench/results/<date>-modes.md and .svg).
bench-modes: build assets
	@BENCH=modes bench/run

lint: build
	clang-tidy --quiet -p $(BUILD) $(filter-out tests/guests/xentest/% tests/fuzz/% bench/tools/%,$(filter %.c,$(SOURCES)))
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem -I src src

format:
	clang-format -i $(SOURCES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) web/dist web/node_modules tests/web/node_modules
