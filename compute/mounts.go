package compute

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
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
//	volumes/<volume id>.img   with the loop backend: an ext4 filesystem of
//	                          the volume's size, mounted on the directory
//	files/<container uuid>/N  the content of the container's Nth mount of
//	                          type bind (file injection)
//
// A volume's data outlives the containers that use it; one made for a
// container (a mount with a size) goes with that container. With the loop
// backend a volume holds no more than its size ("No space left on
// device" inside the container); with the dir backend its size is not
// enforced.

// Volume backends.
const (
	BackendLoop = "loop"
	BackendDir  = "dir"
)

// VolumeBackend returns the backend to use: want when given, else loop
// when this process can make and mount loop filesystems (root, mkfs.ext4,
// a loop device), else dir.
func VolumeBackend(want string) string {
	if want != "" {
		return want
	}
	if os.Geteuid() != 0 {
		return BackendDir
	}
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		return BackendDir
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		return BackendDir
	}
	return BackendLoop
}

// volumeDir makes volume m's directory ready to bind: with the loop
// backend, its filesystem made on first use and mounted.
func (a *Agent) volumeDir(m container.Mount) (string, error) {
	a.volumes.Lock()
	defer a.volumes.Unlock()
	dir := filepath.Join(a.cfg.StateDir, "volumes", m.VolumeID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("volume %s: %w", m.VolumeID, err)
	}
	if a.cfg.VolumeBackend != BackendLoop {
		return dir, nil
	}
	if mounted(dir) {
		return dir, nil
	}
	size, err := strconv.ParseInt(m.Size, 10, 64)
	if err != nil || size < 1 {
		return "", errdefs.Invalidf("volume %s: no size for its filesystem", m.VolumeID)
	}
	img := dir + ".img"
	if _, err := os.Stat(img); os.IsNotExist(err) {
		// Sparse: the host's disk is used as data is written.
		tmp := img + ".new"
		f, err := os.Create(tmp)
		if err != nil {
			return "", err
		}
		err = f.Truncate(size << 30)
		f.Close()
		if err == nil {
			err = run("mkfs.ext4", "-q", "-F", "-m", "0", "-L", "zun-vol", tmp)
		}
		if err == nil {
			err = os.Rename(tmp, img)
		}
		if err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("volume %s: make its filesystem: %w", m.VolumeID, err)
		}
	}
	if err := run("mount", "-o", "loop", img, dir); err != nil {
		return "", fmt.Errorf("volume %s: mount its filesystem: %w", m.VolumeID, err)
	}
	return dir, nil
}

// removeVolumeData unmounts and deletes a volume's data on this host.
func (a *Agent) removeVolumeData(id string) error {
	a.volumes.Lock()
	defer a.volumes.Unlock()
	dir := filepath.Join(a.cfg.StateDir, "volumes", id)
	if mounted(dir) {
		if err := run("umount", dir); err != nil {
			return fmt.Errorf("volume %s: unmount: %w", id, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Remove(dir + ".img"); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// mounted reports whether a filesystem is mounted on dir.
func mounted(dir string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		// id parent major:minor root mount-point ...; the mount point
		// escapes spaces as \040.
		f := strings.Fields(line)
		if len(f) > 4 && strings.ReplaceAll(f[4], `\040`, " ") == dir {
			return true
		}
	}
	return false
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

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
			if !validVolumeID(m.VolumeID) {
				return nil, errdefs.Invalidf("mount %d: no volume", i)
			}
			dir, err := a.volumeDir(m)
			if err != nil {
				return nil, err
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
	if err := os.RemoveAll(filepath.Join(a.cfg.StateDir, "files", rec.UUID)); err != nil {
		a.log.Warn("remove injected files", "container_id", rec.UUID, "error", err)
	}
	for _, m := range rec.Mounts {
		// A capsule's volumes go with the capsule, not with one of the
		// members that mount them.
		if m.Type == container.MountVolume && m.AutoRemove && !rec.IsMember() && validVolumeID(m.VolumeID) {
			if err := a.removeVolumeData(m.VolumeID); err != nil {
				a.log.Warn("remove the data of the container's own volume", "container_id", rec.UUID, "volume", m.VolumeID, "error", err)
			}
		}
	}
}

// RemoveVolume deletes a volume's data on this host (the volume itself is
// gone from the store). A volume never used here is no error.
func (a *Agent) RemoveVolume(_ context.Context, id string) error {
	if !validVolumeID(id) {
		return errdefs.Invalidf("invalid volume id %q", id)
	}
	if a.cfg.StateDir == "" {
		return nil
	}
	return a.removeVolumeData(id)
}

// validVolumeID reports whether id can name a path under volumes/.
func validVolumeID(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, `/\`)
}
