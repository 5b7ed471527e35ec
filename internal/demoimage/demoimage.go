// Package demoimage provides the project's offline demo image,
// zun/busybox:local, so that `make run`, the runtime tests and the
// end-to-end tests work on a machine that reaches no registry.
//
// The image is built on the host, not pulled: its root file system holds
// Debian's static busybox (/bin/busybox, from the busybox-static package)
// with one symlink per applet in /bin, an empty /tmp and an /etc/passwd and
// /etc/group that know root. It is imported into the Docker Engine with
// CMD ["sh"] and PATH=/bin, so `sh`, `sleep`, `top`, `httpd` and the other
// applets work as in the official busybox image.
//
// Ensure builds the image only when the engine lacks it; when it is present
// Ensure costs one inspect call. `make image` runs it through
// cmd/mkimage. To rebuild the image (after a busybox upgrade, say), remove
// it with `docker rmi zun/busybox:local` and run `make image` again.
package demoimage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// Ref is the reference of the demo image.
const Ref = "zun/busybox:local"

// Busybox is the host's static busybox the image is built from.
const Busybox = "/bin/busybox"

// changes are the Dockerfile instructions applied on import.
var changes = []string{`CMD ["sh"]`, `ENV PATH=/bin`}

// Ensure makes sure the Docker Engine at dockerHost has the demo image,
// building and importing it if absent, and returns its reference (Ref).
// dockerHost is an address such as unix:///var/run/docker.sock; "" means
// DOCKER_HOST or the default socket. Ensure is idempotent and, when the
// image is present, quick.
func Ensure(ctx context.Context, dockerHost string) (string, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if dockerHost != "" {
		opts = append(opts, client.WithHost(dockerHost))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return "", fmt.Errorf("demo image %s: docker client: %w", Ref, err)
	}
	defer cli.Close()
	if err := ensure(ctx, cli, Ref); err != nil {
		return "", fmt.Errorf("demo image %s: %w", Ref, err)
	}
	return Ref, nil
}

// ensure imports the image as ref unless the engine has ref.
func ensure(ctx context.Context, cli *client.Client, ref string) error {
	_, err := cli.ImageInspect(ctx, ref)
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect: %w", err)
	}
	applets, err := listApplets(ctx, Busybox)
	if err != nil {
		return err
	}
	var rootfs bytes.Buffer
	if err := writeRootfs(&rootfs, Busybox, applets); err != nil {
		return fmt.Errorf("build root file system: %w", err)
	}
	out, err := cli.ImageImport(ctx, image.ImportSource{Source: &rootfs, SourceName: "-"}, ref,
		image.ImportOptions{Changes: changes, Message: "built from " + Busybox + " by zun"})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer out.Close()
	if err := drain(out); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// drain reads the engine's JSON progress stream to its end and returns the
// first error it reports.
func drain(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read progress: %w", err)
		}
		if msg.ErrorDetail.Message != "" {
			return errors.New(msg.ErrorDetail.Message)
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}
