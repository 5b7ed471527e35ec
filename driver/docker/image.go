package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"

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
	return d.PrepareImageProgress(ctx, ref, policy, auth, nil)
}

// PrepareImageProgress is PrepareImageAuth reporting the pull's progress
// (driver.ProgressPuller).
func (d *Driver) PrepareImageProgress(ctx context.Context, ref string, policy driver.PullPolicy, auth driver.RegistryAuth, progress func(driver.Progress)) error {
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
	return d.pull(ctx, ref, auth, progress)
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
func (d *Driver) pull(ctx context.Context, ref string, auth driver.RegistryAuth, progress func(driver.Progress)) error {
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
	if err := drainProgress(stream, progress); err != nil {
		return fmt.Errorf("pull image %q: %w", ref, err)
	}
	return nil
}

// drainProgress reads a JSON progress stream of the engine (pull, push,
// import) to its end and returns the first error it reports. progress,
// when set, hears the bytes downloaded of the layers seen so far, each
// time they change.
func drainProgress(r io.Reader, progress func(driver.Progress)) error {
	type layer struct{ done, total int64 }
	layers := map[string]*layer{}
	var last driver.Progress
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			ID             string `json:"id"`
			Status         string `json:"status"`
			ProgressDetail struct {
				Current int64 `json:"current"`
				Total   int64 `json:"total"`
			} `json:"progressDetail"`
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
		case progress == nil || msg.ID == "":
			continue
		}
		l := layers[msg.ID]
		switch msg.Status {
		case "Pulling fs layer", "Waiting":
			if l == nil {
				layers[msg.ID] = &layer{}
			}
		case "Downloading":
			if l == nil {
				l = &layer{}
				layers[msg.ID] = l
			}
			l.done, l.total = msg.ProgressDetail.Current, max(l.total, msg.ProgressDetail.Total)
		case "Download complete", "Verifying Checksum", "Extracting", "Pull complete":
			if l != nil {
				l.done = l.total
			}
		}
		var p driver.Progress
		for _, l := range layers {
			p.Done += l.done
			p.Total += l.total
		}
		if p != last {
			last = p
			progress(p)
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

// LoadImage implements driver.ImageArchiver: the engine's answer names
// what it loaded ("Loaded image: repo:tag", or "Loaded image ID: ..."
// for a tarball without tags).
func (d *Driver) LoadImage(ctx context.Context, tarball io.Reader) ([]string, error) {
	res, err := d.cli.ImageLoad(ctx, tarball, client.ImageLoadWithQuiet(true))
	if err != nil {
		return nil, wrap(err, "load image: %w")
	}
	defer res.Body.Close()
	var refs []string
	dec := json.NewDecoder(res.Body)
	for {
		var msg struct {
			Stream      string `json:"stream"`
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		err := dec.Decode(&msg)
		if errors.Is(err, io.EOF) {
			break
		}
		switch {
		case err != nil:
			return nil, fmt.Errorf("load image: read the answer: %w", err)
		case msg.ErrorDetail != nil && msg.ErrorDetail.Message != "":
			return nil, errdefs.Invalidf("load image: %s", msg.ErrorDetail.Message)
		case msg.Error != "":
			return nil, errdefs.Invalidf("load image: %s", msg.Error)
		}
		for _, line := range strings.Split(msg.Stream, "\n") {
			if ref, ok := strings.CutPrefix(strings.TrimSpace(line), "Loaded image: "); ok {
				refs = append(refs, ref)
			} else if id, ok := strings.CutPrefix(strings.TrimSpace(line), "Loaded image ID: "); ok {
				refs = append(refs, id)
			}
		}
	}
	if len(refs) == 0 {
		return nil, errdefs.Invalidf("load image: the tarball holds no image")
	}
	return refs, nil
}

// SaveImage implements driver.ImageArchiver.
func (d *Driver) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	rc, err := d.cli.ImageSave(ctx, []string{ref})
	if err != nil {
		return nil, wrap(err, "save image %q: %w", ref)
	}
	return rc, nil
}

var _ driver.ImageArchiver = (*Driver)(nil)
