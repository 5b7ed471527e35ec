package fake

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// AddImage makes images present, as if pulled.
func (d *Driver) AddImage(refs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ref := range refs {
		if n, err := normalise(ref); err == nil {
			d.images[n] = "sha256:" + newID()
		}
	}
}

// FailPull makes every pull of ref fail with err; a nil err makes pulls of
// ref succeed again.
func (d *Driver) FailPull(ref string, err error) {
	n, nerr := normalise(ref)
	if nerr != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil {
		delete(d.pullErrs, n)
	} else {
		d.pullErrs[n] = err
	}
}

// SlowPull makes pulls of ref take d, reporting their progress in ten
// steps of a 1 MiB image; 0 makes them instant again.
func (d *Driver) SlowPull(ref string, dur time.Duration) {
	n, err := normalise(ref)
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pullTimes[n] = dur
}

// PrepareImage makes image present according to policy, as the Docker
// driver does; a pull is instant unless SlowPull said otherwise, and fails
// only as FailPull said.
func (d *Driver) PrepareImage(ctx context.Context, image string, policy driver.PullPolicy) error {
	return d.PrepareImageProgress(ctx, image, policy, driver.RegistryAuth{}, nil)
}

// PrepareImageProgress is PrepareImage reporting a slow pull's progress
// (driver.ProgressPuller).
func (d *Driver) PrepareImageProgress(ctx context.Context, image string, policy driver.PullPolicy, _ driver.RegistryAuth, progress func(driver.Progress)) error {
	ref, err := normalise(image)
	if err != nil {
		return err
	}
	d.mu.Lock()
	_, present := d.images[ref]
	pullErr, slow := d.pullErrs[ref], d.pullTimes[ref]
	d.mu.Unlock()
	switch policy {
	case driver.PullNever:
		if !present {
			return errdefs.NotFoundf("image %q not present locally with pull policy never", image)
		}
		return nil
	case driver.PullIfNotPresent:
		if present {
			return nil
		}
	case driver.PullAlways:
	default:
		return errdefs.Invalidf("image %q: unknown pull policy %q", image, policy)
	}
	if pullErr != nil {
		return fmt.Errorf("pull image %q: %w", image, pullErr)
	}
	const size = 1 << 20
	for i := int64(1); slow > 0 && i <= 10; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(slow / 10):
		}
		if progress != nil {
			progress(driver.Progress{Done: size * i / 10, Total: size})
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.images[ref] = "sha256:" + newID()
	return nil
}

var _ driver.ProgressPuller = (*Driver)(nil)

// Commit makes image repository:tag ("" is "latest") present and returns
// its new id.
func (d *Driver) Commit(ctx context.Context, id, repository, tag string) (string, error) {
	ref := repository
	if tag != "" {
		ref += ":" + tag
	}
	n, err := normalise(ref)
	if err != nil {
		return "", errdefs.Invalidf("commit container %q as %q: %w", id, ref, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.lookup(id); err != nil {
		return "", err
	}
	imageID := "sha256:" + newID()
	d.images[n] = imageID
	return imageID, nil
}

// normalise is ref with the tag "latest" when it has no tag or digest.
// Like the engine, it refuses empty references, spaces and capitals in the
// repository.
func normalise(ref string) (string, error) {
	if ref == "" || strings.ContainsAny(ref, " \t\n") {
		return "", errdefs.Invalidf("invalid image reference %q", ref)
	}
	repo, rest := ref, ""
	if i := strings.Index(ref, "@"); i >= 0 {
		repo, rest = ref[:i], ref[i:]
	} else if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repo, rest = ref[:i], ref[i:]
	}
	if repo == "" || strings.ToLower(repo) != repo {
		return "", errdefs.Invalidf("invalid image reference %q: repository must be lowercase", ref)
	}
	if rest == "" {
		rest = ":latest"
	}
	return repo + rest, nil
}

// Interface guards
var _ driver.Committer = (*Driver)(nil)

// InspectImage implements driver.ImageManager; fake images have size 1 MiB.
func (d *Driver) InspectImage(ctx context.Context, image string) (driver.ImageInfo, error) {
	ref, err := normalise(image)
	if err != nil {
		return driver.ImageInfo{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.images[ref]
	if !ok {
		return driver.ImageInfo{}, errdefs.NotFoundf("No such image: %s", image)
	}
	return driver.ImageInfo{ID: id, Size: 1 << 20}, nil
}

// RemoveImage implements driver.ImageManager.
func (d *Driver) RemoveImage(ctx context.Context, image string) error {
	ref, err := normalise(image)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.images[ref]; !ok {
		return errdefs.NotFoundf("No such image: %s", image)
	}
	delete(d.images, ref)
	return nil
}

// Interface guard
var _ driver.ImageManager = (*Driver)(nil)
