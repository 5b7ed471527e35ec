package apitest

import (
	"testing"
	"time"
)

// step is one call of an action sequence: a request and the status the
// container settles in afterwards.
type step struct {
	method, action string // action "" is the container itself (PATCH)
	body           any
	status         int    // the answer
	settle         string // the status awaited after it
}

// testQuiescence drives containers through every sequence of the state
// machine, each on its own container at once, waits until all settle,
// then checks that nothing is written for a while: a record is written
// only when something in it changes, so at rest the store's revision
// does not move (it once moved hundreds of times a second for a
// container stopped and started again).
func testQuiescence(t *testing.T, tg Target) {
	if tg.Revision == nil {
		t.Skip("the target does not show its store's revision")
	}
	c := tg.client(t)
	stop := step{"POST", "stop?timeout=0", nil, 202, "Stopped"}
	start := step{"POST", "start", nil, 202, "Running"}
	kill := step{"POST", "kill?signal=SIGKILL", nil, 202, "Stopped"}
	pause := step{"POST", "pause", nil, 202, "Paused"}
	unpause := step{"POST", "unpause", nil, 202, "Running"}
	reboot := step{"POST", "reboot?timeout=0", nil, 202, "Running"}
	sequences := []struct {
		name  string
		body  map[string]any
		run   bool
		first string // the status after create
		steps []step
	}{
		{name: "run", run: true, first: "Running"},
		{name: "create", first: "Created"},
		{name: "create-start", first: "Created", steps: []step{start}},
		{name: "stop", run: true, first: "Running", steps: []step{stop}},
		{name: "stop-start", run: true, first: "Running", steps: []step{stop, start}},
		{name: "kill-start", run: true, first: "Running", steps: []step{kill, start}},
		{name: "stop-start-stop", run: true, first: "Running", steps: []step{stop, start, stop}},
		{name: "pause", run: true, first: "Running", steps: []step{pause}},
		{name: "pause-unpause", run: true, first: "Running", steps: []step{pause, unpause}},
		{name: "reboot", run: true, first: "Running", steps: []step{reboot}},
		{name: "update", run: true, first: "Running", steps: []step{
			{"PATCH", "", map[string]any{"cpu": 0.5, "memory": "256"}, 200, "Running"},
			{"POST", "rename?name=" + uniqueName(t) + "-renamed", nil, 200, "Running"}}},
		{name: "exits", body: exiter(tg, "3"), run: true, first: "Stopped"},
		{name: "restart-policy", body: withRestart(exiter(tg, "1"), "on-failure", "2"), run: true, first: "Stopped"},
		{name: "restart-always-stop", body: withRestart(sleeper(tg, ""), "always", ""), run: true, first: "Running",
			steps: []step{stop}},
	}
	ids := make([]string, len(sequences))
	for i, sq := range sequences {
		body := sq.body
		if body == nil {
			body = sleeper(tg, "")
		}
		ids[i] = c.create(body, sq.run)
	}
	for i, sq := range sequences {
		c.waitStatus(ids[i], sq.first)
	}
	// The steps of all sequences, a round at a time.
	for round := 0; ; round++ {
		more := false
		for i, sq := range sequences {
			if round < len(sq.steps) {
				more = true
				s := sq.steps[round]
				c.must(s.status, s.method, "/v1/containers/"+ids[i]+suffix(s.action), s.body)
			}
		}
		if !more {
			break
		}
		for i, sq := range sequences {
			if round < len(sq.steps) {
				c.waitStatus(ids[i], sq.steps[round].settle)
			}
		}
	}
	// A container that exits by itself under a restart policy is
	// restarted by the runtime until its retries run out: wait until its
	// record stops changing before measuring.
	window := tg.QuietWindow
	if window <= 0 {
		window = 3 * time.Second
	}
	settled := func() bool {
		for i := range ids {
			if s := c.show(ids[i]); s["task_state"] != nil {
				return false
			}
		}
		return true
	}
	if !poll(30*time.Second, settled) {
		t.Fatal("containers did not settle")
	}
	rev := tg.Revision(t)
	// Quiet for a whole window, restarted if the restart-policy container
	// was still moving (it may take a few restarts to give up).
	deadline := time.Now().Add(window + 30*time.Second)
	for {
		time.Sleep(window)
		now := tg.Revision(t)
		if now == rev {
			break
		}
		if time.Now().After(deadline) {
			var keys []string
			if tg.ChangedSince != nil {
				keys = tg.ChangedSince(t, rev)
			}
			t.Fatalf("the store's revision moved from %d to %d in %s with every container at rest; keys written: %v",
				rev, now, window, keys)
		}
		rev = now
	}
	for i, sq := range sequences {
		want := sq.first
		if len(sq.steps) > 0 {
			want = sq.steps[len(sq.steps)-1].settle
		}
		got := c.show(ids[i])
		if got["status"] != want {
			t.Errorf("%s: status %v, want %s", sq.name, got["status"], want)
		}
	}
	for _, id := range ids {
		if c.show(id)["status"] == "Paused" {
			c.must(202, "POST", "/v1/containers/"+id+"/unpause", nil)
			c.waitStatus(id, "Running")
		}
		c.must(204, "DELETE", "/v1/containers/"+id+"?force=true", nil)
	}
	for _, id := range ids {
		c.waitGone(id)
	}
}

func suffix(action string) string {
	if action == "" {
		return ""
	}
	return "/" + action
}

func withRestart(body map[string]any, name, retries string) map[string]any {
	rp := map[string]any{"Name": name}
	if retries != "" {
		rp["MaximumRetryCount"] = retries
	}
	body["restart_policy"] = rp
	return body
}
