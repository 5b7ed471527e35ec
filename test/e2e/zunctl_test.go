package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/internal/demoimage"
)

// TestZunctl walks the "done when": zunctl run gives a container
// that is Running in Docker, and logs, exec, stop, start, pause, kill and
// delete work on it.
func TestZunctl(t *testing.T) {
	cli := requireDocker(t, "")
	d := startZund(t, "")

	out := d.mustZunctl("run", "--wait", "--name", "web", demoimage.Ref, "sh", "-c", "echo started; exec httpd -f -p 8080")
	if !strings.Contains(out, "Running") {
		t.Fatalf("run --wait printed:\n%s", out)
	}
	var shown map[string]any
	if err := json.Unmarshal([]byte(d.mustZunctl("--json", "show", "web")), &shown); err != nil {
		t.Fatal(err)
	}
	uuid := shown["uuid"].(string)

	dockerState := func() string {
		for _, c := range d.runtimeContainers(t, cli) {
			if c.Labels[driver.LabelUUID] == uuid {
				return c.State
			}
		}
		return "absent"
	}
	if got := dockerState(); got != "running" {
		t.Fatalf("docker shows the container %s, want running", got)
	}
	list := d.mustZunctl("list")
	if !strings.Contains(list, "web") || !strings.Contains(list, "Running") || !strings.Contains(list, "UUID") {
		t.Fatalf("list:\n%s", list)
	}
	if !poll(10*time.Second, func() bool { return strings.Contains(d.mustZunctl("logs", "web"), "started") }) {
		t.Fatalf("logs lack the container's output")
	}
	if out := d.mustZunctl("exec", "web", "--", "sh", "-c", "echo in-$((6*7))"); !strings.Contains(out, "in-42") {
		t.Fatalf("exec printed %q", out)
	}
	if _, err := d.zunctl("exec", "web", "--", "sh", "-c", "exit 3"); err == nil || exitCode(err) != 3 {
		t.Fatalf("exec of exit 3: %v, want exit status 3", err)
	}

	steps := []struct {
		args   []string
		status string
		docker string
	}{
		{[]string{"stop", "-t", "1", "web"}, "Stopped", "exited"},
		{[]string{"start", "web"}, "Running", "running"},
		{[]string{"pause", "web"}, "Paused", "paused"},
		{[]string{"unpause", "web"}, "Running", "running"},
		{[]string{"restart", "-t", "1", "web"}, "Running", "running"},
		{[]string{"kill", "web"}, "Stopped", "exited"},
	}
	for _, s := range steps {
		d.mustZunctl(s.args...)
		if !poll(20*time.Second, func() bool {
			var c map[string]any
			_ = json.Unmarshal([]byte(d.mustZunctl("--json", "show", "web")), &c)
			return c["status"] == s.status && (c["task_state"] == nil || c["task_state"] == "")
		}) {
			t.Fatalf("after %v: %s", s.args, d.mustZunctl("show", "web"))
		}
		if got := dockerState(); got != s.docker {
			t.Fatalf("after %v docker shows %s, want %s", s.args, got, s.docker)
		}
	}
	actions := d.mustZunctl("actions", "list", "web")
	for _, a := range []string{"create", "stop", "start", "pause", "unpause", "reboot", "kill"} {
		if !strings.Contains(actions, a) {
			t.Fatalf("actions list lacks %s:\n%s", a, actions)
		}
	}
	d.mustZunctl("delete", "web")
	if !poll(20*time.Second, func() bool { return dockerState() == "absent" }) {
		t.Fatalf("docker still has the container after delete")
	}
	if _, err := d.zunctl("show", "web"); err == nil {
		t.Fatalf("show after delete succeeded")
	}
}

func exitCode(err error) int {
	type coder interface{ ExitCode() int }
	if c, ok := err.(coder); ok {
		return c.ExitCode()
	}
	return -1
}
