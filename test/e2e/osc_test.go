package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/internal/demoimage"
)

// TestOpenStackClient drives zund with the real, unmodified
// python3-openstackclient and python3-zunclient from Debian. Until the
// identity service lands it uses the client's no-auth mode
// (--os-auth-type none), which sends the requests as it always does.
func TestOpenStackClient(t *testing.T) {
	requireDocker(t, "")
	bin, err := exec.LookPath("openstack")
	if err != nil {
		if os.Getenv("ZUN_TEST_CLIENTS") != "" {
			t.Fatalf("ZUN_TEST_CLIENTS is set but openstack is not installed: %v", err)
		}
		t.Skip("python3-openstackclient is not installed (set ZUN_TEST_CLIENTS=1 to require it)")
	}
	d := startZund(t, "")
	osc := func(args ...string) (string, error) {
		t.Helper()
		full := append([]string{"--os-auth-type", "none", "--os-endpoint", d.URL + "/v1", "appcontainer"}, args...)
		out, err := exec.Command(bin, full...).CombinedOutput()
		return string(out), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := osc(args...)
		if err != nil {
			t.Fatalf("openstack appcontainer %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	status := func(name string) string {
		t.Helper()
		var v map[string]any
		if err := json.Unmarshal([]byte(must("show", name, "-f", "json")), &v); err != nil {
			t.Fatal(err)
		}
		s, _ := v["status"].(string)
		return s
	}
	wait := func(name, want string) {
		t.Helper()
		if !poll(30*time.Second, func() bool { return status(name) == want }) {
			t.Fatalf("%s: status %s, want %s", name, status(name), want)
		}
	}

	must("run", "--name", "osc", demoimage.Ref, "sh", "-c", "echo from-osc; exec sleep 3600")
	wait("osc", "Running")
	if out := must("list"); !strings.Contains(out, "osc") {
		t.Fatalf("list:\n%s", out)
	}
	if out := must("exec", "osc", "echo", "hello-exec"); !strings.Contains(out, "hello-exec") {
		t.Fatalf("exec printed %q", out)
	}
	if !poll(10*time.Second, func() bool { return strings.Contains(must("logs", "osc"), "from-osc") }) {
		t.Fatal("logs lack the container's output")
	}
	must("set", "--memory", "256", "osc")
	must("pause", "osc")
	wait("osc", "Paused")
	must("unpause", "osc")
	wait("osc", "Running")
	must("stop", "--timeout", "1", "osc")
	wait("osc", "Stopped")
	must("start", "osc")
	wait("osc", "Running")
	must("kill", "osc")
	wait("osc", "Stopped")
	actions := must("action", "list", "osc")
	for _, a := range []string{"create", "pause", "stop", "start", "kill"} {
		if !strings.Contains(actions, a) {
			t.Fatalf("action list lacks %s:\n%s", a, actions)
		}
	}
	must("delete", "osc")
	if !poll(30*time.Second, func() bool { _, err := osc("show", "osc"); return err != nil }) {
		t.Fatal("container still shown after delete")
	}
}
