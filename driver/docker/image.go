package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// PrepareImage makes image available according to policy:
//   - PullNever: the engine must have it, else an errdefs.ErrNotFound error;
//   - PullIfNotPresent: pull it only when the engine lacks it;
//   - PullAlways: pull it; a failed pull is an error even if an older copy
//     is present (the caller decides whether to fall back to that copy).
//
// A pull reads the engine's progress stream to its end and returns the
// first error the stream reports.
func (d *Driver) PrepareImage(ctx context.Context, ref string, policy driver.PullPolicy) error {
	return d.PrepareImageAuth(ctx, ref, policy, driver.RegistryAuth{})
}

// PrepareImageAuth is PrepareImage pulling with auth (driver.AuthPreparer).
func (d *Driver) PrepareImageAuth(ctx context.Context, ref string, policy driver.PullPolicy, auth driver.RegistryAuth) error {
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return errdefs.Invalidf("image %q: %w", ref, err)
	}
	switch policy {
	case driver.PullNever, driver.PullIfNotPresent:
		present, err := d.hasImage(ctx, ref)
		switch {
		case err != nil:
			return err
		case present:
			return nil
		case policy == driver.PullNever:
			return errdefs.NotFoundf("image %q not present locally with pull policy never", ref)
		}
	case driver.PullAlways:
	default:
		return errdefs.Invalidf("image %q: unknown pull policy %q", ref, policy)
	}
	return d.pull(ctx, ref, auth)
}

// hasImage reports whether the engine has image ref.
func (d *Driver) hasImage(ctx context.Context, ref string) (bool, error) {
	_, err := d.cli.ImageInspect(ctx, ref)
	switch {
	case err == nil:
		return true, nil
	case kindOf(err) == errdefs.ErrNotFound:
		return false, nil
	}
	return false, wrap(err, "inspect image %q: %w", ref)
}

// pull pulls image ref.
func (d *Driver) pull(ctx context.Context, ref string, auth driver.RegistryAuth) error {
	var opts image.PullOptions
	if auth.Username != "" || auth.Password != "" {
		enc, err := registry.EncodeAuthConfig(registry.AuthConfig{Username: auth.Username, Password: auth.Password,
			ServerAddress: auth.ServerAddress})
		if err != nil {
			return err
		}
		opts.RegistryAuth = enc
	}
	stream, err := d.cli.ImagePull(ctx, ref, opts)
	if err != nil {
		return wrap(err, "pull image %q: %w", ref)
	}
	defer stream.Close()
	if err := drainProgress(stream); err != nil {
		return fmt.Errorf("pull image %q: %w", ref, err)
	}
	return nil
}

// drainProgress reads a JSON progress stream of the engine (pull, push,
// import) to its end and returns the first error it reports.
func drainProgress(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		err := dec.Decode(&msg)
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("read progress: %w", err)
		case msg.ErrorDetail != nil && msg.ErrorDetail.Message != "":
			return errors.New(msg.ErrorDetail.Message)
		case msg.Error != "":
			return errors.New(msg.Error)
		}
	}
}

// Commit makes image repository:tag (tag "" is "latest") from the
// container's file system and configuration and returns the image's id.
// The container is paused while it is committed.
func (d *Driver) Commit(ctx context.Context, id, repository, tag string) (string, error) {
	ref := repository
	if tag != "" {
		ref += ":" + tag
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return "", errdefs.Invalidf("commit container %q as %q: %w", id, ref, err)
	}
	resp, err := d.cli.ContainerCommit(ctx, id, container.CommitOptions{Reference: ref, Pause: true})
	if err != nil {
		return "", wrap(err, "commit container %q as %q: %w", id, ref)
	}
	return resp.ID, nil
}

// Interface guards
var _ driver.Committer = (*Driver)(nil)

// Interface guard
var _ driver.AuthPreparer = (*Driver)(nil)

// InspectImage implements driver.ImageManager.
func (d *Driver) InspectImage(ctx context.Context, ref string) (driver.ImageInfo, error) {
	info, err := d.cli.ImageInspect(ctx, ref)
	if err != nil {
		return driver.ImageInfo{}, wrap(err, "inspect image %q: %w", ref)
	}
	return driver.ImageInfo{ID: info.ID, Size: info.Size}, nil
}

// RemoveImage implements driver.ImageManager: the engine refuses (a
// conflict) while a container uses the image.
func (d *Driver) RemoveImage(ctx context.Context, ref string) error {
	if _, err := d.cli.ImageRemove(ctx, ref, image.RemoveOptions{}); err != nil {
		return wrap(err, "remove image %q: %w", ref)
	}
	return nil
}

var _ driver.ImageManager = (*Driver)(nil)
