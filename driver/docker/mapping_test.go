package docker

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/go-connections/nat"

	"github.com/zun-go/zun/driver"
)

func TestStateOf(t *testing.T) {
	t.Parallel()
	resp := container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID: "abc", Name: "/zun-x",
			State: &container.State{Status: "exited", ExitCode: 137, OOMKilled: true, Pid: 0,
				StartedAt: "2025-01-02T03:04:05.123456789Z", FinishedAt: "0001-01-01T00:00:00Z"},
		},
		Config: &container.Config{Image: "busybox", Hostname: "h", Labels: map[string]string{"k": "v"},
			ExposedPorts: nat.PortSet{"80/tcp": {}, "80/udp": {}, "53/udp": {}}},
	}
	got := stateOf(resp)
	if got.ID != "abc" || got.Name != "zun-x" || got.Status != "exited" || got.ExitCode != 137 ||
		got.Image != "busybox" || got.Hostname != "h" || got.Labels["k"] != "v" {
		t.Fatalf("stateOf: got %+v", got)
	}
	if got.Error != "out of memory" {
		t.Fatalf("error of an OOM-killed container: got %q, want %q", got.Error, "out of memory")
	}
	if want := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC); !got.StartedAt.Equal(want) || !got.FinishedAt.IsZero() {
		t.Fatalf("times: got started %v finished %v, want %v and zero", got.StartedAt, got.FinishedAt, want)
	}
	if !slices.Equal(got.Ports, []int{53, 80}) {
		t.Fatalf("ports: got %v, want [53 80]", got.Ports)
	}
	if empty := stateOf(container.InspectResponse{}); empty.ID != "" {
		t.Fatalf("stateOf of an empty answer: got %+v", empty)
	}
}

func TestSummaryState(t *testing.T) {
	t.Parallel()
	got := summaryState(container.Summary{ID: "abc", Names: []string{"/zun-x"}, Image: "busybox", State: "running",
		Ports: []container.Port{{PrivatePort: 443}, {PrivatePort: 80}, {PrivatePort: 80, PublicPort: 8080}}})
	if got.ID != "abc" || got.Name != "zun-x" || got.Status != "running" || !slices.Equal(got.Ports, []int{80, 443}) {
		t.Fatalf("summaryState: got %+v", got)
	}
}

func TestStateChanging(t *testing.T) {
	t.Parallel()
	for action, want := range map[events.Action]bool{
		"create": true, "start": true, "die": true, "kill": true, "stop": true, "destroy": true,
		"pause": true, "unpause": true, "oom": true, "restart": true, "update": true, "rename": true,
		"health_status: healthy": true, "health_status: unhealthy": true,
		"exec_create: sh": false, "exec_start: sh": false, "exec_die": false, "attach": false,
		"top": false, "commit": false, "resize": false, "archive-path": false,
	} {
		if got := stateChanging(action); got != want {
			t.Errorf("stateChanging(%q): got %v, want %v", action, got, want)
		}
	}
}

func TestEventOf(t *testing.T) {
	t.Parallel()
	m := events.Message{Action: "die", TimeNano: 1700000000123456789,
		Actor: events.Actor{ID: "abc", Attributes: map[string]string{driver.LabelUUID: "u-1", "exitCode": "3"}}}
	want := driver.Event{ID: "abc", UUID: "u-1", Action: "die", Time: time.Unix(0, 1700000000123456789)}
	if got := eventOf(m); got != want {
		t.Fatalf("eventOf: got %+v, want %+v", got, want)
	}
}

func TestLogsOptions(t *testing.T) {
	t.Parallel()
	since := time.Unix(1700000000, 5)
	for _, tc := range []struct {
		name string
		in   driver.LogOptions
		want container.LogsOptions
	}{
		{"defaults", driver.LogOptions{Stdout: true}, container.LogsOptions{ShowStdout: true, Tail: "all"}},
		{"everything", driver.LogOptions{Stdout: true, Stderr: true, Timestamps: true, Tail: "10", Since: since, Follow: true},
			container.LogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Tail: "10",
				Since: "1700000000.000000005", Follow: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := logsOptions(tc.in); got != tc.want {
				t.Fatalf("logsOptions: got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDrainProgress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, stream, wantErr string
	}{
		{"success", `{"status":"Pulling from library/busybox"}` + "\n" + `{"status":"Digest: sha256:x"}`, ""},
		{"empty", "", ""},
		{"error detail", `{"status":"Pulling"}{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown (old)"}`, "manifest unknown"},
		{"error only", `{"error":"toomanyrequests"}`, "toomanyrequests"},
		{"broken stream", `{"status":"Pull`, "read progress: unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := drainProgress(strings.NewReader(tc.stream), nil)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Fatalf("drainProgress: got error %q, want %q", got, tc.wantErr)
			}
		})
	}
}

// TestDrainProgressBytes: the bytes of every layer seen add up, a
// finished layer counts whole, and a layer already present counts nothing.
func TestDrainProgressBytes(t *testing.T) {
	t.Parallel()
	stream := strings.Join([]string{
		`{"status":"Pulling from me/app","id":"v1"}`,
		`{"status":"Already exists","id":"l0"}`,
		`{"status":"Pulling fs layer","id":"l1"}`,
		`{"status":"Pulling fs layer","id":"l2"}`,
		`{"status":"Downloading","id":"l1","progressDetail":{"current":10,"total":100}}`,
		`{"status":"Downloading","id":"l2","progressDetail":{"current":5,"total":50}}`,
		`{"status":"Download complete","id":"l1"}`,
		`{"status":"Extracting","id":"l1","progressDetail":{"current":100,"total":100}}`,
		`{"status":"Downloading","id":"l2","progressDetail":{"current":50,"total":50}}`,
		`{"status":"Pull complete","id":"l2"}`,
		`{"status":"Digest: sha256:x"}`,
	}, "\n")
	var seen []driver.Progress
	if err := drainProgress(strings.NewReader(stream), func(p driver.Progress) { seen = append(seen, p) }); err != nil {
		t.Fatal(err)
	}
	want := []driver.Progress{{Done: 10, Total: 100}, {Done: 15, Total: 150}, {Done: 105, Total: 150}, {Done: 150, Total: 150}}
	if !slices.Equal(seen, want) {
		t.Fatalf("progress %v, want %v", seen, want)
	}
}

func TestSeconds(t *testing.T) {
	t.Parallel()
	for in, want := range map[time.Duration]int{
		0: 0, time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, time.Minute: 60, -time.Second: -1,
	} {
		if got := seconds(in); got != want {
			t.Errorf("seconds(%v): got %d, want %d", in, got, want)
		}
	}
}
