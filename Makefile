# picolayer: a thin wrapper over swift build / swift test and the runtime's PicoLisp tests.
PREFIX ?= /usr/local
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/picolayer
# The tests' Python packages live in the project's own virtual environment (scripts/install-test-deps.sh).
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: all build test test-deps test-swift test-runtime test-dist test-docs bench lint install dist print-version clean layer templates

all: build

build:
	$(SWIFT) build -c $(CONFIG) --product picolayer

# Every test suite of the project. Installs what the tests need first (apt-get as root, else sudo), runs every
# suite even when one fails, then fails naming the suites that failed.
SUITES = test-swift test-runtime test-dist test-docs
test: test-deps
	@failed=""; \
	for suite in $(SUITES); do \
		$(MAKE) --no-print-directory $$suite || failed="$$failed $$suite"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test: these suites failed:$$failed"; exit 1; fi; \
	echo "make test: every suite passed ($(SUITES))"

test-deps:
	scripts/install-test-deps.sh

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The release path: workflow linters, install.sh against a local server, the action's script against moto.
test-dist:
	Tests/dist/run.sh

# Every shell example of README.md and docs/*.md, run with byexample and its output checked (scripts/test-docs.sh):
# against a moto server on 127.0.0.1 with signatures checked and a layer staged from Debian's picolisp.
test-docs:
	$(SWIFT) build --product picolayer
	scripts/test-docs.sh

test-runtime:
	@if [ -x Tests/runtime/run.sh ]; then Tests/runtime/run.sh; else echo "no runtime tests yet"; fi

bench: test-deps build
	Benchmarks/run.sh $(BIN)

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift
	actionlint .github/workflows/*.yml
	zizmor --offline --no-progress .github/workflows/*.yml action.yml
	scripts/check-sizes.py Sources

# The release tarball: a static, stripped binary (no Swift needed to run it), man pages and completions, in
# dist/picolayer-VERSION-linux-ARCH.tar.gz with its .sha256.
VERSION := $(shell sed -n 's/.*current = "\(.*\)"/\1/p' Sources/PicolayerKit/Support/Version.swift)
dist:
	scripts/make-dist.sh

print-version:
	@echo $(VERSION)

# Installs what `make dist` made, through the same installer users run (checksum checked).
install: dist
	PICOLAYER_VERSION=$(VERSION) PICOLAYER_DOWNLOAD_URL=file://$(CURDIR)/dist PREFIX=$(DESTDIR)$(PREFIX) \
		sh scripts/install.sh

# The README's main command: from nothing to picolisp.zip. ENGINE=none compiles on this machine (installs clang,
# llvm, make, libffi and readline headers); ENGINE=podman or docker compiles in Amazon Linux 2023.
# BUILD_FLAGS passes more options to `picolayer build` (e.g. --arch arm64).
# SOURCES=DIR builds without network access from DIR/pil21 (a pil21 folder, or pil21.tgz),
# DIR/picolisp-json.tar.gz and DIR/picolisp-awscurl.tar.gz (README.md, docs/build.md).
ENGINE ?= none
BUILD_FLAGS ?=
SOURCES ?=
SOURCE_FLAGS = $(if $(SOURCES),--pil-source $(firstword $(wildcard $(SOURCES)/pil21 $(SOURCES)/pil21.tgz \
	$(SOURCES)/pil21.tar.gz) $(SOURCES)/pil21) --json-source $(SOURCES)/picolisp-json.tar.gz \
	--awscurl-source $(SOURCES)/picolisp-awscurl.tar.gz)
layer: build
	scripts/install-build-deps.sh $(ENGINE)
	$(BIN) build --engine $(ENGINE) $(SOURCE_FLAGS) $(BUILD_FLAGS)
	$(BIN) package build/layer -o picolisp.zip

# Regenerates Sources/PicolayerKit/Layer/EmbeddedTemplates.swift after a change in templates/.
templates:
	scripts/embed-templates.sh

clean:
	rm -rf .build build dist picolisp.zip
