# picolayer: a thin wrapper over swift build / swift test and the runtime's PicoLisp tests.
PREFIX ?= /usr/local
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/picolayer

.PHONY: all build test test-deps test-swift test-runtime bench lint install clean layer

all: build

build:
	$(SWIFT) build -c $(CONFIG) --product picolayer

# Every test suite of the project. Installs what the tests need first (apt-get as root, else sudo).
test: test-deps test-swift test-runtime

test-deps:
	scripts/install-test-deps.sh

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

test-runtime:
	@if [ -x Tests/runtime/run.sh ]; then Tests/runtime/run.sh; else echo "no runtime tests yet"; fi

bench: test-deps build
	Benchmarks/run.sh $(BIN)

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/picolayer

clean:
	rm -rf .build build picolisp.zip
