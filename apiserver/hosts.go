package apiserver

import (
	"context"
	"io"

	"github.com/zun-go/zun/driver"
)

// HostAPI is what the API server asks of a compute host directly, for the
// calls that answer synchronously or stream (like kubelet's port). The
// runtime id is the container's id in the host's runtime.
type HostAPI interface {
	Logs(ctx context.Context, runtimeID string, opts driver.LogOptions) (io.ReadCloser, error)
	Exec(ctx context.Context, runtimeID string, cmd []string) (driver.ExecResult, error)
	Stats(ctx context.Context, runtimeID string) (driver.Stats, error)
	Top(ctx context.Context, runtimeID, psArgs string) (driver.TopResult, error)
	Update(ctx context.Context, runtimeID string, r driver.Resources) error
	Commit(ctx context.Context, runtimeID, repository, tag string) (string, error)
	// RemoveVolume deletes a volume's data on the host.
	RemoveVolume(ctx context.Context, volumeID string) error
	// PullImage and RemoveImage serve the images API.
	PullImage(ctx context.Context, ref string, policy driver.PullPolicy, progress func(driver.Progress)) (driver.ImageInfo, error)
	RemoveImage(ctx context.Context, ref string) error
	// SaveImage streams an image of the host as a tarball.
	SaveImage(ctx context.Context, ref string) (io.ReadCloser, error)
}

// HostDirectory finds the HostAPI of a compute host by name; a host that
// is not connected is errdefs.ErrUnavailable.
type HostDirectory interface {
	Host(name string) (HostAPI, error)
}
