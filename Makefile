# Zun in Go. `make run` starts the all-in-one service; `make test` runs the
# whole suite. Both install what they need (Docker Engine, busybox-static)
# and are safe to run again.

GO      ?= go
BIN     := bin
DATA    ?= $(CURDIR)/.data
LISTEN  ?= 127.0.0.1:9517
PKGS    := ./...
# The runtime tier: packages whose tests need the real Docker Engine or root.
RUNTIME_PKGS := ./driver/docker/... ./internal/demoimage/... ./netplane/...
# What the end-to-end tier needs switched on: a Docker Engine that must
# answer, and the real OpenStack clients.
E2E_ENV := ZUN_TEST_DOCKER=1 ZUN_TEST_CLIENTS=1

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
	$(E2E_ENV) ZUN_TEST_KEYSTONE=1 $(GO) test -count=1 -timeout 45m $(PKGS)

## test-unit: tests that need neither Docker nor root
test-unit:
	ZUN_TEST_DOCKER= $(GO) test -count=1 -short $(PKGS)

## test-runtime: the runtime tier: the driver conformance suite and the
## demo image on the real Docker Engine, the data plane of tenant networks
## between network namespaces (root)
test-runtime: deps
	@[ "$$(id -u)" -eq 0 ] || { echo "test-runtime: the data plane tests need root: run it as root" >&2; exit 1; }
	ZUN_TEST_DOCKER=1 $(GO) test -count=1 -timeout 10m $(RUNTIME_PKGS)

## test-e2e: the end-to-end tier: the built zund and zunctl on Docker, with
## the real zun and openstack CLIs
test-e2e: deps image
	@scripts/ensure-deps.sh python3-openstackclient python3-zunclient
	$(E2E_ENV) $(GO) test -count=1 -timeout 40m ./test/e2e/...

## bench: benchmarks, printed as a table
bench:
	@scripts/bench.sh

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
