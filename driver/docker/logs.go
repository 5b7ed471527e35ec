package docker

import (
	"context"
	"fmt"
	"io"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Logs returns the container's logs as plain text, stdout and stderr
// interleaved as they were written. With opts.Follow the reader stays open
// for new output until the container stops, ctx ends or the reader is
// closed. Asking for neither stdout nor stderr is an errdefs.ErrInvalid
// error.
func (d *Driver) Logs(ctx context.Context, id string, opts driver.LogOptions) (io.ReadCloser, error) {
	if !opts.Stdout && !opts.Stderr {
		return nil, errdefs.Invalidf("logs of container %q: choose stdout, stderr or both", id)
	}
	// Without a TTY the engine multiplexes the streams; with one it cannot
	// tell them apart and sends them raw.
	info, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		return nil, wrap(err, "logs of container %q: %w", id)
	}
	rc, err := d.cli.ContainerLogs(ctx, id, logsOptions(opts))
	if err != nil {
		return nil, wrap(err, "logs of container %q: %w", id)
	}
	if info.Config != nil && info.Config.Tty {
		return rc, nil
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, pw, rc)
		pw.CloseWithError(err)
	}()
	return &demuxed{PipeReader: pr, src: rc}, nil
}

// logsOptions are the engine's options for opts.
func logsOptions(opts driver.LogOptions) container.LogsOptions {
	out := container.LogsOptions{
		ShowStdout: opts.Stdout,
		ShowStderr: opts.Stderr,
		Timestamps: opts.Timestamps,
		Follow:     opts.Follow,
		Tail:       opts.Tail,
	}
	if out.Tail == "" {
		out.Tail = "all"
	}
	if !opts.Since.IsZero() {
		out.Since = fmt.Sprintf("%d.%09d", opts.Since.Unix(), opts.Since.Nanosecond())
	}
	return out
}

// demuxed is the plain-text side of a multiplexed log stream; closing it
// closes the engine's stream too.
type demuxed struct {
	*io.PipeReader
	src io.ReadCloser
}

func (r *demuxed) Close() error {
	r.PipeReader.Close()
	return r.src.Close()
}

// Interface guards
var _ driver.Logger = (*Driver)(nil)
