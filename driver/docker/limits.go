package docker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/system"
	units "github.com/docker/go-units"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Limits are the operator's limits on every container of the host, so
// that one tenant cannot take a shared host down: a fork bomb stops at
// the process limit, a log flood at the log cap.
type Limits struct {
	// PidsLimit caps the processes (threads count too) of a container
	// that asks for no limit of its own; 0: no cap.
	PidsLimit int64
	// MaxPidsLimit caps what a container may ask for with the label
	// driver.LabelPidsLimit; 0: PidsLimit (a container may only lower
	// its limit).
	MaxPidsLimit int64
	// LogMaxSize is the size at which a container's log file is rotated,
	// as Docker's log option max-size takes it ("10m"); LogMaxFiles is
	// how many files are kept (max-file). A container's logs thus take
	// at most LogMaxSize*LogMaxFiles of the engine's disk. They apply
	// when the engine logs to files (json-file, local); "" or 0: the
	// engine's own settings.
	LogMaxSize  string
	LogMaxFiles int
}

// DefaultLimits are the defaults of Limits: 2048 processes (Podman's
// default; threads count, so a busy JVM fits), logs of at most 3 files of
// 10 MiB.
func DefaultLimits() Limits {
	return Limits{PidsLimit: 2048, LogMaxSize: "10m", LogMaxFiles: 3}
}

// Validate checks the limits.
func (l Limits) Validate() error {
	switch {
	case l.PidsLimit < 0:
		return fmt.Errorf("default pids limit %d: want 0 (none) or more", l.PidsLimit)
	case l.MaxPidsLimit < 0 || (l.MaxPidsLimit > 0 && l.MaxPidsLimit < l.PidsLimit):
		return fmt.Errorf("maximum pids limit %d: want 0 (the default's) or at least the default %d", l.MaxPidsLimit, l.PidsLimit)
	case l.LogMaxFiles < 0:
		return fmt.Errorf("log files %d: want 0 (the engine's) or more", l.LogMaxFiles)
	case l.LogMaxFiles > 1 && l.LogMaxSize == "":
		return fmt.Errorf("log files %d: rotation needs a log size too", l.LogMaxFiles)
	}
	if l.LogMaxSize != "" {
		if n, err := units.RAMInBytes(l.LogMaxSize); err != nil || n <= 0 {
			return fmt.Errorf("log size %q: want a size such as 10m", l.LogMaxSize)
		}
	}
	return nil
}

// maxPids is the most processes a container may ask for; 0: any number.
func (l Limits) maxPids() int64 {
	if l.MaxPidsLimit > 0 {
		return l.MaxPidsLimit
	}
	return l.PidsLimit
}

// engine is what the driver needs to know of its engine to enforce
// limits, found once from its info.
type engine struct {
	pids      bool   // the engine can cap processes (the pids cgroup)
	logDriver string // the engine's default log driver
	// diskQuota: the storage driver caps a container's root filesystem
	// (storage-opt size); noDiskQuota says why not.
	diskQuota   bool
	noDiskQuota string
}

// engineOf is what info tells of the engine. mounts reads the mount table
// of the engine's machine (/proc/self/mountinfo); nil when the engine is
// elsewhere.
func engineOf(info system.Info, mounts io.Reader) engine {
	e := engine{pids: info.PidsLimit, logDriver: info.LoggingDriver}
	backing := ""
	for _, kv := range info.DriverStatus {
		if kv[0] == "Backing Filesystem" {
			backing = kv[1]
		}
	}
	on := info.Driver
	if backing != "" {
		on += " on " + backing
	}
	switch info.Driver {
	case "devicemapper", "btrfs", "zfs", "windowsfilter":
		e.diskQuota = true
	case "overlay2":
		// overlay2 caps sizes with xfs project quotas: the data root must be
		// on xfs mounted with pquota (prjquota). An engine elsewhere is
		// taken at its word (it refuses a size it cannot cap).
		switch {
		case backing != "xfs":
		case mounts == nil:
			e.diskQuota = true
		case projectQuota(mounts, info.DockerRootDir):
			e.diskQuota = true
		default:
			on += " without project quotas (mount option pquota)"
		}
	}
	if !e.diskQuota {
		e.noDiskQuota = fmt.Sprintf("the engine's storage driver (%s) cannot cap a container's root filesystem; "+
			"that needs overlay2 on xfs mounted with pquota, devicemapper, btrfs or zfs", on)
	}
	return e
}

// projectQuota reports whether dir is on a filesystem mounted with
// project quotas, from a mountinfo table.
func projectQuota(mountinfo io.Reader, dir string) bool {
	best, quota := "", false
	sc := bufio.NewScanner(mountinfo)
	for sc.Scan() {
		// id parent major:minor root mountpoint options ... - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		mp := f[4]
		if !within(dir, mp) || len(mp) < len(best) {
			continue
		}
		best = mp
		quota = slices.ContainsFunc(strings.Split(g[2], ","), func(o string) bool {
			return o == "prjquota" || o == "pquota"
		})
	}
	return quota
}

// within reports whether path is mount point mp or under it.
func within(path, mp string) bool {
	path, mp = filepath.Clean(path), filepath.Clean(mp)
	return mp == "/" || path == mp || strings.HasPrefix(path, mp+"/")
}

// engine finds (once, then from memory) what the engine can enforce.
func (d *Driver) engine(ctx context.Context) (engine, error) {
	d.engMu.Lock()
	defer d.engMu.Unlock()
	if d.eng != nil {
		return *d.eng, nil
	}
	info, err := d.cli.Info(ctx)
	if err != nil {
		return engine{}, wrap(err, "engine info: %w")
	}
	var mounts io.Reader
	if strings.HasPrefix(d.cli.DaemonHost(), "unix://") {
		if f, err := os.Open("/proc/self/mountinfo"); err == nil {
			defer f.Close()
			mounts = f
		}
	}
	e := engineOf(info, mounts)
	d.eng = &e
	return e, nil
}

// limit applies the operator's limits and spec's own to the engine's
// host config, or refuses spec (errdefs.ErrInvalid) for a limit the host
// cannot or will not enforce.
func limit(host *container.HostConfig, spec driver.Spec, l Limits, e engine) error {
	pids := l.PidsLimit
	switch max := l.maxPids(); {
	case spec.PidsLimit < 0:
		return errdefs.Invalidf("container %q: label %s must be a number of processes from 1 to %d", spec.Name, driver.LabelPidsLimit, max)
	case spec.PidsLimit > 0 && max > 0 && spec.PidsLimit > max:
		return errdefs.Invalidf("container %q: a pids limit of %d is above this host's maximum %d (label %s)", spec.Name, spec.PidsLimit, max, driver.LabelPidsLimit)
	case spec.PidsLimit > 0 && !e.pids:
		return errdefs.Invalidf("container %q: the engine cannot limit processes (no pids cgroup), so label %s cannot be enforced", spec.Name, driver.LabelPidsLimit)
	case spec.PidsLimit > 0:
		pids = spec.PidsLimit
	}
	if pids > 0 && e.pids {
		host.PidsLimit = &pids
	}
	if (e.logDriver == "json-file" || e.logDriver == "local") && (l.LogMaxSize != "" || l.LogMaxFiles > 0) {
		host.LogConfig = container.LogConfig{Type: e.logDriver, Config: map[string]string{}}
		if l.LogMaxSize != "" {
			host.LogConfig.Config["max-size"] = l.LogMaxSize
		}
		if l.LogMaxFiles > 0 {
			host.LogConfig.Config["max-file"] = strconv.Itoa(l.LogMaxFiles)
		}
	}
	if spec.DiskGiB < 0 {
		return errdefs.Invalidf("container %q: invalid disk %d GiB", spec.Name, spec.DiskGiB)
	}
	if spec.DiskGiB > 0 {
		if !e.diskQuota {
			return errdefs.Invalidf("container %q: disk %d GiB cannot be enforced on this host: %s", spec.Name, spec.DiskGiB, e.noDiskQuota)
		}
		host.StorageOpt = map[string]string{"size": strconv.Itoa(spec.DiskGiB) + "G"}
	}
	return nil
}
