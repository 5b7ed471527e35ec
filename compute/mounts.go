package compute

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// The local volume backend keeps, under Config.StateDir:
//
//	volumes/<volume id>/      a volume's data, bind-mounted where it is used
//	files/<container uuid>/N  the content of the container's Nth mount of
//	                          type bind (file injection)
//
// A volume's directory outlives the containers that use it; one made for
// a container (a mount with a size) goes with that container.

// mountsOf prepares rec's mounts on this host and returns them as the
// runtime binds them. It is idempotent: a retried create finds the
// directories and rewrites the same files.
func (a *Agent) mountsOf(rec *container.Container) ([]driver.Mount, error) {
	if len(rec.Mounts) == 0 {
		return nil, nil
	}
	if a.cfg.StateDir == "" {
		return nil, errdefs.NotSupportedf("this compute host has no state directory for volumes")
	}
	var out []driver.Mount
	for i, m := range rec.Mounts {
		switch m.Type {
		case container.MountVolume:
			if m.VolumeID == "" || strings.ContainsAny(m.VolumeID, `/\`) || m.VolumeID == ".." {
				return nil, errdefs.Invalidf("mount %d: no volume", i)
			}
			dir := filepath.Join(a.cfg.StateDir, "volumes", m.VolumeID)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("volume %s: %w", m.VolumeID, err)
			}
			out = append(out, driver.Mount{Source: dir, Target: m.Destination})
		case container.MountBind:
			content, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\n", "", "\r", "").Replace(m.Source))
			if err != nil {
				return nil, errdefs.Invalidf("mount %d: the content is not Base64: %v", i, err)
			}
			dir := filepath.Join(a.cfg.StateDir, "files", rec.UUID)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, err
			}
			file := filepath.Join(dir, strconv.Itoa(i))
			if err := os.WriteFile(file, content, 0o644); err != nil {
				return nil, err
			}
			out = append(out, driver.Mount{Source: file, Target: m.Destination})
		default:
			return nil, errdefs.Invalidf("mount %d: unknown type %q", i, m.Type)
		}
	}
	return out, nil
}

// dropMounts removes what rec's mounts left on this host once its runtime
// container is gone: its injected files and the volumes made for it.
func (a *Agent) dropMounts(rec *container.Container) {
	if a.cfg.StateDir == "" || len(rec.Mounts) == 0 {
		return
	}
	paths := []string{filepath.Join(a.cfg.StateDir, "files", rec.UUID)}
	for _, m := range rec.Mounts {
		if m.Type == container.MountVolume && m.AutoRemove && m.VolumeID != "" && !strings.ContainsAny(m.VolumeID, `/\`) {
			paths = append(paths, filepath.Join(a.cfg.StateDir, "volumes", m.VolumeID))
		}
	}
	for _, p := range paths {
		if err := os.RemoveAll(p); err != nil {
			a.log.Warn("remove mount data", "container", rec.UUID, "path", p, "error", err)
		}
	}
}

// RemoveVolume deletes a volume's data on this host (the volume itself is
// gone from the store). A volume never used here is no error.
func (a *Agent) RemoveVolume(_ context.Context, id string) error {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return errdefs.Invalidf("invalid volume id %q", id)
	}
	if a.cfg.StateDir == "" {
		return nil
	}
	return os.RemoveAll(filepath.Join(a.cfg.StateDir, "volumes", id))
}
