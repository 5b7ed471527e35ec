package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zun-go/zun/internal/demoimage"
)

// TestZunctlTLS checks zunctl against `zund --dev --tls` as its users
// have it: after `source DATA/openrc` (which exports OS_CACERT), or with
// OS_CLOUD and DATA/clouds.yaml (which has cacert), the login and every
// API call are verified HTTPS; without the CA zunctl refuses the server.
func TestZunctlTLS(t *testing.T) {
	requireDocker(t, "")
	_, zunctl := binaries(t)
	d := startZund(t, "", "--tls")
	openrc := filepath.Join(d.DataDir, "openrc")
	if b, err := os.ReadFile(openrc); err != nil || !strings.Contains(string(b), "export OS_CACERT=") {
		t.Fatalf("openrc (%v) exports no OS_CACERT:\n%s", err, b)
	}

	// The environment of a fresh shell: no OS_* or ZUN_* variables.
	var clean []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OS_") && !strings.HasPrefix(kv, "ZUN_") {
			clean = append(clean, kv)
		}
	}
	// sourced runs zunctl in a shell that sources openrc, then runs
	// prelude (say, unset OS_CACERT).
	sourced := func(prelude string) shell {
		return shell{t: t, env: clean, script: ". '" + openrc + "' && " + prelude + "exec '" + zunctl + "' \"$@\""}
	}
	withCA := sourced("")
	noCA := sourced("unset OS_CACERT && ")
	cloud := shell{t: t, env: append(clean, "OS_CLOUD=zun", "OS_CLIENT_CONFIG_FILE="+filepath.Join(d.DataDir, "clouds.yaml")),
		script: "exec '" + zunctl + "' \"$@\""}

	t.Run("openrc with OS_CACERT", func(t *testing.T) {
		if out := withCA.must("list"); !strings.Contains(out, "UUID") {
			t.Fatalf("list:\n%s", out)
		}
		if out := withCA.must("run", "--wait", "--name", "tls-web", demoimage.Ref, "sh", "-c", "echo over-tls; exec sleep 600"); !strings.Contains(out, "Running") {
			t.Fatalf("run --wait:\n%s", out)
		}
		t.Cleanup(func() { withCA.run("delete", "--force", "tls-web") })
		if out := withCA.must("list"); !strings.Contains(out, "tls-web") || !strings.Contains(out, "Running") {
			t.Fatalf("list after run:\n%s", out)
		}
		if out := withCA.must("exec", "tls-web", "--", "sh", "-c", "echo exec-$((6*7))"); !strings.Contains(out, "exec-42") {
			t.Fatalf("exec:\n%s", out)
		}
		// The image store, found in the catalog, is https too.
		withCA.must("image", "store-list")
	})
	t.Run("clouds.yaml with cacert", func(t *testing.T) {
		if out := cloud.must("list"); !strings.Contains(out, "UUID") {
			t.Fatalf("list:\n%s", out)
		}
	})
	t.Run("without OS_CACERT the certificate is refused", func(t *testing.T) {
		for _, args := range [][]string{{"list"}, {"run", "--name", "tls-refused", demoimage.Ref}} {
			out, err := noCA.run(args...)
			if err == nil || exitCode(err) != 1 {
				t.Fatalf("zunctl %s without OS_CACERT: %v, want exit status 1:\n%s", args[0], err, out)
			}
			if !strings.Contains(out, "certificate signed by unknown authority") || !strings.Contains(out, "OS_CACERT") {
				t.Fatalf("zunctl %s without OS_CACERT: want a certificate error and a hint:\n%s", args[0], out)
			}
		}
	})
	t.Run("an unreadable CA file is named", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "missing-ca.pem")
		out, err := sourced("OS_CACERT='" + missing + "' && ").run("list")
		if err == nil || exitCode(err) != 2 || !strings.Contains(out, missing) {
			t.Fatalf("zunctl list with a missing CA file: %v, want exit status 2 naming %s:\n%s", err, missing, out)
		}
	})
}

// shell runs script with sh -c in env; the arguments of run become the
// script's "$@".
type shell struct {
	t      *testing.T
	env    []string
	script string
}

func (s shell) run(args ...string) (string, error) {
	cmd := exec.Command("sh", append([]string{"-c", s.script, "sh"}, args...)...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s shell) must(args ...string) string {
	s.t.Helper()
	out, err := s.run(args...)
	if err != nil {
		s.t.Fatalf("zunctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}
