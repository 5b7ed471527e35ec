# Zun in Go. `make run` starts the all-in-one service; `make test` runs the
# whole suite. Both install what they need (Docker Engine, busybox-static)
# and are safe to run again.

GO      ?= go
BIN     := bin
DATA    ?= $(CURDIR)/.data
LISTEN  ?= 127.0.0.1:9517
PKGS    := ./...

.PHONY: all build deps image run test test-unit test-runtime test-e2e bench vet fmt clean

all: build

## build: compile zund and zunctl into bin/
build:
	$(GO) build -o $(BIN)/zund ./cmd/zund
	$(GO) build -o $(BIN)/zunctl ./cmd/zunctl

## deps: install and start Docker Engine and busybox-static (idempotent)
deps:
	@scripts/ensure-deps.sh

## image: build the offline demo image zun/busybox:local if absent
image: deps
	@$(GO) run ./internal/demoimage/cmd/mkimage

## run: the all-in-one service in the foreground (API, scheduler, compute, embedded etcd)
run: deps build image
	$(BIN)/zund --dev --listen $(LISTEN) --data-dir $(DATA)

## test: every tier: vet, unit, runtime (real Docker), end-to-end (built
## binaries, real OpenStack clients)
test: deps image vet
	@scripts/ensure-deps.sh python3-openstackclient python3-zunclient
	ZUN_TEST_DOCKER=1 ZUN_TEST_CLIENTS=1 ZUN_TEST_KEYSTONE=1 $(GO) test -count=1 -timeout 25m $(PKGS)

## test-unit: tests that need neither Docker nor root
test-unit:
	ZUN_TEST_DOCKER= $(GO) test -count=1 -short $(PKGS)

## bench: benchmarks, printed as a table
bench:
	@scripts/bench.sh

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
