package docker

import (
	"context"
	"errors"
	"fmt"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"

	"github.com/zun-go/zun/errdefs"
)

func TestWrap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		kind error // nil: none
	}{
		{"not found", fmt.Errorf("No such container: x: %w", cerrdefs.ErrNotFound), errdefs.ErrNotFound},
		{"conflict", cerrdefs.ErrConflict, errdefs.ErrConflict},
		{"invalid", cerrdefs.ErrInvalidArgument, errdefs.ErrInvalid},
		{"unavailable", cerrdefs.ErrUnavailable, errdefs.ErrUnavailable},
		{"not implemented", cerrdefs.ErrNotImplemented, errdefs.ErrNotSupported},
		{"already ours", errdefs.Invalidf("bad"), errdefs.ErrInvalid},
		{"internal", errors.New("engine exploded"), nil},
		{"cancelled", context.Canceled, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := containerErr("abc", tc.err)
			if want := fmt.Sprintf("container %q: %v", "abc", tc.err); err.Error() != want {
				t.Fatalf("message: got %q, want %q", err, want)
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("%v does not wrap %v", err, tc.err)
			}
			if got := kindOf(err); got != tc.kind {
				t.Fatalf("kind: got %v, want %v", got, tc.kind)
			}
		})
	}
}

func TestKindOfConnectionFailure(t *testing.T) {
	t.Parallel()
	cli, err := client.NewClientWithOpts(client.WithHost("unix://" + t.TempDir() + "/absent.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	_, err = cli.Ping(t.Context())
	if got := kindOf(err); got != errdefs.ErrUnavailable {
		t.Fatalf("kind of %v: got %v, want %v", err, got, errdefs.ErrUnavailable)
	}
}
