package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/internal/demoimage"
)

// TestLogsJSON runs zund with --log-format json and checks that a stop
// request's lines carry its request, project, user and container ids, and
// that the compute agent's line for carrying the stop out names the same
// request: one grep follows a request from the API to the runtime.
func TestLogsJSON(t *testing.T) {
	requireDocker(t, "")
	d := startZund(t, "", "--log-format", "json")
	c := apiClient(t, d)
	ctx := context.Background()
	ct, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref,
		Command: []string{"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, ct.UUID, "Running")
	if err := c.Stop(ctx, ct.UUID, nil); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, ct.UUID, "Stopped")

	// records are zund's JSON lines (the start-up banner is not one).
	records := func() []map[string]any {
		b, err := os.ReadFile(filepath.Join(d.DataDir, "zund.log"))
		if err != nil {
			t.Fatal(err)
		}
		var recs []map[string]any
		for line := range strings.Lines(string(b)) {
			if !strings.HasPrefix(line, "{") {
				continue
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("not a JSON line: %q", line)
			}
			recs = append(recs, rec)
		}
		return recs
	}
	find := func(msg string, match map[string]any) map[string]any {
		for _, rec := range records() {
			ok := rec["msg"] == msg
			for k, v := range match {
				ok = ok && rec[k] == v
			}
			if ok {
				return rec
			}
		}
		return nil
	}
	requested := find("container action requested", map[string]any{"container_id": ct.UUID, "action": "stop"})
	if requested == nil {
		t.Fatalf("no line of the stop request in %v", records())
	}
	reqID, _ := requested["request_id"].(string)
	if !strings.HasPrefix(reqID, "req-") || requested["project_id"] != ct.ProjectID || requested["user_id"] == "" {
		t.Fatalf("stop request's line lacks its ids: %v", requested)
	}
	if find("request", map[string]any{"request_id": reqID, "container_id": ct.UUID, "status": float64(202)}) == nil {
		t.Errorf("no access log line of %s with the container", reqID)
	}
	var done map[string]any
	if !poll(10*time.Second, func() bool {
		done = find("container action done", map[string]any{"container_id": ct.UUID, "request_id": reqID})
		return done != nil
	}) {
		t.Fatalf("no agent line of %s carrying the stop out", reqID)
	}
	if done["action"] != "stop" {
		t.Errorf("agent line %v", done)
	}
}
