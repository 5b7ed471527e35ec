package docker

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/system"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// mountinfo is a host whose engine data root is on its own filesystem.
const mountinfo = `22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 254:16 / /var/lib/docker rw,relatime shared:2 - xfs /dev/vdb rw,attr2,inode64,prjquota
31 22 254:32 / /var/lib/other rw,relatime shared:3 - xfs /dev/vdc rw,attr2,inode64,noquota
`

func TestEngineOf(t *testing.T) {
	t.Parallel()
	info := func(drv, backing, root string) system.Info {
		return system.Info{Driver: drv, DriverStatus: [][2]string{{"Backing Filesystem", backing}},
			DockerRootDir: root, PidsLimit: true, LoggingDriver: "json-file"}
	}
	for _, tc := range []struct {
		name   string
		info   system.Info
		mounts string // "-": the engine is elsewhere
		quota  bool
		why    string // part of the reason there is no quota
	}{
		{"overlay2 on ext4", info("overlay2", "extfs", "/var/lib/docker"), mountinfo, false, "overlay2 on extfs"},
		{"overlay2 on xfs with pquota", info("overlay2", "xfs", "/var/lib/docker"), mountinfo, true, ""},
		{"overlay2 under a pquota mount", info("overlay2", "xfs", "/var/lib/docker/sub"), mountinfo, true, ""},
		{"overlay2 on xfs without pquota", info("overlay2", "xfs", "/var/lib/other"), mountinfo, false, "without project quotas"},
		{"overlay2 on xfs elsewhere", info("overlay2", "xfs", "/var/lib/docker"), "-", true, ""},
		{"devicemapper", info("devicemapper", "xfs", "/var/lib/docker"), mountinfo, true, ""},
		{"btrfs", info("btrfs", "btrfs", "/var/lib/docker"), mountinfo, true, ""},
		{"zfs", info("zfs", "zfs", "/var/lib/docker"), mountinfo, true, ""},
		{"vfs", info("vfs", "extfs", "/var/lib/docker"), mountinfo, false, "vfs on extfs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e engine
			if tc.mounts == "-" {
				e = engineOf(tc.info, nil)
			} else {
				e = engineOf(tc.info, strings.NewReader(tc.mounts))
			}
			if e.diskQuota != tc.quota || !strings.Contains(e.noDiskQuota, tc.why) || (tc.quota && e.noDiskQuota != "") {
				t.Fatalf("got disk quota %v (%q), want %v (%q)", e.diskQuota, e.noDiskQuota, tc.quota, tc.why)
			}
			if !e.pids || e.logDriver != "json-file" {
				t.Fatalf("got pids %v, log driver %q; want the info's", e.pids, e.logDriver)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	t.Parallel()
	full := engine{pids: true, logDriver: "json-file", diskQuota: true}
	noQuota := engine{pids: true, logDriver: "json-file", noDiskQuota: "the engine's storage driver (overlay2 on extfs) cannot cap"}
	defaults := DefaultLimits()
	spec := func(pids int64, disk int) driver.Spec {
		return driver.Spec{Name: "zun-x", PidsLimit: pids, DiskGiB: disk}
	}
	logs := container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "3"}}
	for _, tc := range []struct {
		name    string
		spec    driver.Spec
		limits  Limits
		engine  engine
		pids    int64 // 0: none set
		log     container.LogConfig
		storage map[string]string
		err     string // part of the ErrInvalid message; "": no error
	}{
		{"defaults", spec(0, 0), defaults, full, 2048, logs, nil, ""},
		{"a lower limit of its own", spec(100, 0), defaults, full, 100, logs, nil, ""},
		{"above the maximum", spec(4096, 0), defaults, full, 0, container.LogConfig{}, nil, "above this host's maximum 2048"},
		{"up to a raised maximum", spec(4096, 0), Limits{PidsLimit: 2048, MaxPidsLimit: 8192}, full, 4096, container.LogConfig{}, nil, ""},
		{"not a number", spec(-1, 0), defaults, full, 0, container.LogConfig{}, nil, "label io.zun.pids-limit must be a number"},
		{"no operator limits", spec(0, 0), Limits{}, full, 0, container.LogConfig{}, nil, ""},
		{"any limit without a maximum", spec(1<<20, 0), Limits{}, full, 1 << 20, container.LogConfig{}, nil, ""},
		{"no pids cgroup: the default cannot apply", spec(0, 0), defaults, engine{logDriver: "json-file"}, 0, logs, nil, ""},
		{"no pids cgroup: a label is refused", spec(10, 0), defaults, engine{logDriver: "json-file"}, 0, logs, nil, "cannot limit processes"},
		{"local log driver", spec(0, 0), defaults, engine{pids: true, logDriver: "local"}, 2048,
			container.LogConfig{Type: "local", Config: map[string]string{"max-size": "10m", "max-file": "3"}}, nil, ""},
		{"journald rotates by itself", spec(0, 0), defaults, engine{pids: true, logDriver: "journald"}, 2048, container.LogConfig{}, nil, ""},
		{"disk", spec(0, 3), defaults, full, 2048, logs, map[string]string{"size": "3G"}, ""},
		{"disk without quotas", spec(0, 3), defaults, noQuota, 2048, logs, nil, "disk 3 GiB cannot be enforced on this host: the engine's storage driver (overlay2 on extfs)"},
		{"no disk without quotas", spec(0, 0), defaults, noQuota, 2048, logs, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var host container.HostConfig
			err := limit(&host, tc.spec, tc.limits, tc.engine)
			if tc.err != "" {
				if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v, want an invalid one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("limit: %v", err)
			}
			var pids int64
			if host.PidsLimit != nil {
				pids = *host.PidsLimit
			}
			if pids != tc.pids || host.LogConfig.Type != tc.log.Type || !maps.Equal(host.LogConfig.Config, tc.log.Config) ||
				!maps.Equal(host.StorageOpt, tc.storage) {
				t.Fatalf("got pids %d, logs %+v, storage %v; want %d, %+v, %v",
					pids, host.LogConfig, host.StorageOpt, tc.pids, tc.log, tc.storage)
			}
		})
	}
}

func TestLimitsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		l    Limits
		ok   bool
	}{
		{"defaults", DefaultLimits(), true},
		{"none", Limits{}, true},
		{"a raised maximum", Limits{PidsLimit: 100, MaxPidsLimit: 1000}, true},
		{"a maximum below the default", Limits{PidsLimit: 100, MaxPidsLimit: 10}, false},
		{"negative pids", Limits{PidsLimit: -1}, false},
		{"a bad log size", Limits{LogMaxSize: "ten", LogMaxFiles: 2}, false},
		{"files without a size", Limits{LogMaxFiles: 2}, false},
		{"negative files", Limits{LogMaxSize: "1m", LogMaxFiles: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.l.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate: %v, want ok %v", err, tc.ok)
			}
		})
	}
}
