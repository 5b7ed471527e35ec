package docker

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// managed are the labels every spec must carry.
func managed() map[string]string {
	return map[string]string{driver.LabelManaged: "true", driver.LabelUUID: "0b5c4f52-3f4d-4a3e-9b43-1e2c3d4e5f60"}
}

// TestConfigOf compares the engine configuration of specs with the golden
// files testdata/<name>.json; go test -run TestConfigOf -update rewrites
// them.
func TestConfigOf(t *testing.T) {
	t.Parallel()
	full := driver.Spec{
		Name:          "zun-0b5c4f52",
		Image:         "nginx:1.27",
		Command:       []string{"nginx", "-g", "daemon off;"},
		Entrypoint:    []string{"/docker-entrypoint.sh"},
		Env:           map[string]string{"B": "2", "A": "1"},
		Labels:        managed(),
		Workdir:       "/srv",
		Hostname:      "web",
		CPU:           1.5,
		MemoryMiB:     512,
		Interactive:   true,
		TTY:           true,
		RestartPolicy: driver.RestartPolicy{Name: "on-failure", MaxRetryCount: 3},
		Privileged:    true,
		Runtime:       "runc",
		Healthcheck: &driver.Healthcheck{
			Test: []string{"CMD-SHELL", "curl -f http://localhost/"}, Interval: 10 * time.Second,
			Timeout: 2 * time.Second, Retries: 3,
		},
	}
	for _, tc := range []struct {
		name     string
		spec     driver.Spec
		hostName string
	}{
		{"minimal", driver.Spec{Name: "zun-min", Image: "busybox", Labels: managed()}, ""},
		{"full", full, "compute-1"},
		{"auto-remove", driver.Spec{Name: "zun-once", Image: "busybox", Labels: managed(), AutoRemove: true,
			Command: []string{"true"}, CPU: 0.25}, "compute-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, host, err := configOf(tc.spec, tc.hostName)
			if err != nil {
				t.Fatalf("configOf: %v", err)
			}
			got, err := json.MarshalIndent(struct {
				Config     *container.Config
				HostConfig *container.HostConfig
			}{cfg, host}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if string(got)+"\n" != string(want) {
				t.Fatalf("configOf(%s) differs from %s (run with -update if the change is meant):\n%s", tc.name, golden, got)
			}
		})
	}
}

func TestConfigOfInvalid(t *testing.T) {
	t.Parallel()
	base := func(edit func(*driver.Spec)) driver.Spec {
		s := driver.Spec{Name: "zun-x", Image: "busybox", Labels: managed()}
		edit(&s)
		return s
	}
	for _, tc := range []struct {
		name string
		spec driver.Spec
	}{
		{"no image", base(func(s *driver.Spec) { s.Image = "" })},
		{"not managed", base(func(s *driver.Spec) { delete(s.Labels, driver.LabelManaged) })},
		{"managed false", base(func(s *driver.Spec) { s.Labels[driver.LabelManaged] = "false" })},
		{"no uuid", base(func(s *driver.Spec) { delete(s.Labels, driver.LabelUUID) })},
		{"negative cpu", base(func(s *driver.Spec) { s.CPU = -1 })},
		{"negative memory", base(func(s *driver.Spec) { s.MemoryMiB = -1 })},
		{"unknown restart policy", base(func(s *driver.Spec) { s.RestartPolicy.Name = "sometimes" })},
		{"negative retries", base(func(s *driver.Spec) {
			s.RestartPolicy = driver.RestartPolicy{Name: "on-failure", MaxRetryCount: -1}
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := configOf(tc.spec, ""); !errdefs.IsInvalid(err) {
				t.Fatalf("configOf: got %v, want an invalid-argument error", err)
			}
		})
	}
}

func TestConfigOfKeepsSpecLabels(t *testing.T) {
	t.Parallel()
	spec := driver.Spec{Name: "zun-x", Image: "busybox", Labels: managed()}
	cfg, _, err := configOf(spec, "compute-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Labels[driver.LabelHost]; got != "compute-1" {
		t.Fatalf("host label: got %q, want %q", got, "compute-1")
	}
	if _, ok := spec.Labels[driver.LabelHost]; ok {
		t.Fatalf("configOf wrote the host label into the caller's map")
	}
}
