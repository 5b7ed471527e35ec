package drivertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/docker/docker/client"
)

// RequireDocker checks that the Docker Engine of DOCKER_HOST (or the local
// socket) answers, and returns its address ("" for the default) for the
// test to use. When it does not answer the test is skipped, unless
// ZUN_TEST_DOCKER (=1) says the engine must be there, in which case it fails.
// Under `go test -short` without ZUN_TEST_DOCKER=1 the test is skipped too:
// short is the unit tier, which needs no Docker.
func RequireDocker(t testing.TB) string {
	t.Helper()
	v := os.Getenv("ZUN_TEST_DOCKER")
	required := v != "" && v != "0"
	if testing.Short() && !required {
		t.Skip("needs a Docker Engine: skipped in -short mode (set ZUN_TEST_DOCKER=1 to run it)")
	}
	host := os.Getenv("DOCKER_HOST")
	err := ping(host)
	switch {
	case err == nil:
		return host
	case required:
		t.Fatalf("ZUN_TEST_DOCKER=1 but the Docker Engine does not answer: %v", err)
	default:
		t.Skipf("no Docker Engine answers (%v); set ZUN_TEST_DOCKER=1 to make this a failure", err)
	}
	return ""
}

// ping asks the engine at host ("" for the default) whether it is up.
func ping(host string) error {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = cli.Ping(ctx)
	return err
}
