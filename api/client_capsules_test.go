package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zun-go/zun/errdefs"
)

const capsuleView = `{"uuid":"cap-1","name":"demo","status":"Creating","status_reason":null,"cpu":1.5,"memory":"768",
"restart_policy":{"Name":"always","MaximumRetryCount":"0"},"labels":{"app":"web"},"annotations":{"owner":"team-a"},
"addresses":null,"init_containers":[{"uuid":"m-0","name":"capsule-demo-seed","status":"Creating"}],
"containers":[{"uuid":"m-1","name":"capsule-demo-web","status":"Creating"}],
"links":[{"href":"http://zun/v1/capsules/cap-1","rel":"self"}],"created_at":"2026-12-03 16:00:00+00:00","updated_at":null}`

// TestCapsuleCalls checks what each capsule call puts on the wire and
// what it makes of the answer.
func TestCapsuleCalls(t *testing.T) {
	ctx := context.Background()
	yamlTemplate, err := ReadTemplate([]byte("kind: capsule\nmetadata:\n  name: demo\nspec:\n  containers:\n  - image: nginx\n    resources: {requests: {cpu: 0.5, memory: 256}}\n"))
	if err != nil {
		t.Fatalf("ReadTemplate: %v", err)
	}
	tests := []struct {
		name    string
		version Version
		call    func(c *Client) (any, error)
		a       answer
		method  string
		path    string // escaped
		query   string // encoded, sorted
		body    string // JSON
		want    string // JSON of the result
	}{
		{
			name:   "create from YAML",
			call:   func(c *Client) (any, error) { return c.CreateCapsule(ctx, yamlTemplate) },
			a:      answer{status: 202, body: capsuleView},
			method: "POST", path: "/v1/capsules",
			body: `{"template":{"kind":"capsule","metadata":{"name":"demo"},"spec":{"containers":[{"image":"nginx","resources":{"requests":{"cpu":0.5,"memory":256}}}]}}}`,
			want: capsuleView,
		},
		{
			name:   "create from a JSON string",
			call:   func(c *Client) (any, error) { return c.CreateCapsule(ctx, `{"kind":"capsule"}`) },
			a:      answer{status: 202, body: capsuleView},
			method: "POST", path: "/v1/capsules",
			body: `{"template":"{\"kind\":\"capsule\"}"}`,
			want: capsuleView,
		},
		{
			name: "list with options",
			call: func(c *Client) (any, error) {
				return c.ListCapsules(ctx, CapsuleListOptions{AllProjects: true, Limit: 2, Marker: "m", SortKey: "name", SortDir: "desc"})
			},
			a:      answer{body: `{"capsules":[` + capsuleView + `],"next":null}`},
			method: "GET", path: "/v1/capsules", query: "all_projects=true&limit=2&marker=m&sort_dir=desc&sort_key=name",
			want: `{"capsules":[` + capsuleView + `],"next":""}`,
		},
		{
			name:   "get escapes the ident",
			call:   func(c *Client) (any, error) { return c.GetCapsule(ctx, "a/b c") },
			a:      answer{body: capsuleView},
			method: "GET", path: "/v1/capsules/a%2Fb%20c",
			want: capsuleView,
		},
		{
			name:    "get reads the legacy view",
			version: V(31),
			call:    func(c *Client) (any, error) { return c.GetCapsule(ctx, "demo") },
			a: answer{body: `{"uuid":"cap-1","meta_name":"demo","meta_labels":{"app":"web"},"restart_policy":"on-failure","status":"Running",
				"containers_uuids":["m-1"],"init_containers_uuids":[],"capsule_version":"beta","volumes_info":{},"containers":[{"uuid":"m-1"}]}`},
			method: "GET", path: "/v1/capsules/demo",
			want: `{"uuid":"cap-1","name":"demo","labels":{"app":"web"},"restart_policy":{"Name":"on-failure"},"status":"Running","containers":[{"uuid":"m-1"}]}`,
		},
		{
			name:   "delete",
			call:   func(c *Client) (any, error) { return nil, c.DeleteCapsule(ctx, "demo") },
			a:      answer{status: 204},
			method: "DELETE", path: "/v1/capsules/demo",
		},
		{
			name:   "logs of a container by its template name",
			call:   func(c *Client) (any, error) { return c.CapsuleLogs(ctx, "demo", "web", LogOptions{Tail: "5"}) },
			a:      answer{body: `"line 1\nline 2\n"`},
			method: "GET", path: "/v1/capsules/demo/containers/web/logs", query: "stderr=true&stdout=true&tail=5&timestamps=false",
			want: `"line 1\nline 2\n"`,
		},
		{
			name:   "execute in a container by its template name",
			call:   func(c *Client) (any, error) { return c.CapsuleExecute(ctx, "demo", "web", "sh -c 'exit 3'") },
			a:      answer{body: `{"output":"","exit_code":3,"exec_id":null,"proxy_url":null}`},
			method: "POST", path: "/v1/capsules/demo/containers/web/execute", query: "command=sh+-c+%27exit+3%27&run=true",
			want: `{"output":"","exit_code":3}`,
		},
		{
			name:   "top of a container by its template name",
			call:   func(c *Client) (any, error) { return c.CapsuleTop(ctx, "demo", "web", "aux") },
			a:      answer{body: `{"Titles":["PID","CMD"],"Processes":[["1","httpd"]]}`},
			method: "GET", path: "/v1/capsules/demo/containers/web/top", query: "ps_args=aux",
			want: `{"Titles":["PID","CMD"],"Processes":[["1","httpd"]]}`,
		},
		{
			name:   "stats of a container by its template name",
			call:   func(c *Client) (any, error) { return c.CapsuleStats(ctx, "demo", "web") },
			a:      answer{body: `{"CONTAINER":"capsule-demo-web","CPU %":1.5}`},
			method: "GET", path: "/v1/capsules/demo/containers/web/stats",
			want: `{"CONTAINER":"capsule-demo-web","CPU %":1.5}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, reqs := newTestClient(t, tt.a, Config{Version: tt.version})
			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if len(*reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(*reqs))
			}
			r := (*reqs)[0]
			if r.method != tt.method || r.path != tt.path || r.query != tt.query {
				t.Fatalf("request = %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tt.method, tt.path, tt.query)
			}
			if canonical(r.body) != canonical(tt.body) {
				t.Fatalf("body = %s, want %s", r.body, tt.body)
			}
			if tt.want == "" {
				return
			}
			want := reflect.New(reflect.TypeOf(got))
			if err := json.Unmarshal([]byte(tt.want), want.Interface()); err != nil {
				t.Fatalf("decode want: %v", err)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want.Elem().Interface())
			if string(gotJSON) != string(wantJSON) {
				t.Fatalf("result = %s, want %s", gotJSON, wantJSON)
			}
		})
	}
}

func TestCapsuleCallsRefuseEmptyNames(t *testing.T) {
	c, reqs := newTestClient(t, answer{}, Config{})
	ctx := context.Background()
	calls := map[string]func() error{
		"get":           func() error { _, err := c.GetCapsule(ctx, " "); return err },
		"delete":        func() error { return c.DeleteCapsule(ctx, "") },
		"logs":          func() error { _, err := c.CapsuleLogs(ctx, "demo", "", LogOptions{}); return err },
		"create no tpl": func() error { _, err := c.CreateCapsule(ctx, nil); return err },
		"exec no cmd":   func() error { _, err := c.CapsuleExecute(ctx, "demo", "web", " "); return err },
		"top":           func() error { _, err := c.CapsuleTop(ctx, "", "web", ""); return err },
		"stats":         func() error { _, err := c.CapsuleStats(ctx, "demo", ""); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, errdefs.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if len(*reqs) != 0 {
		t.Fatalf("%d requests sent, want none", len(*reqs))
	}
}

func TestReadTemplate(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "yaml", in: "kind: capsule\nspec: {containers: [{image: nginx, stdin: yes}]}\n",
			want: `{"kind":"capsule","spec":{"containers":[{"image":"nginx","stdin":true}]}}`},
		{name: "json", in: ` {"kind": "capsule", "spec": {"containers": [{"image": "nginx"}]}}`,
			want: `{"kind":"capsule","spec":{"containers":[{"image":"nginx"}]}}`},
		{name: "empty", in: "\n", err: "want an object (kind, metadata, spec...), not an empty document"},
		{name: "a list", in: "- kind: capsule\n", err: `not [{"kind":"capsule"}]`},
		{name: "bad yaml", in: "kind: [capsule\n", err: "capsule template: yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadTemplate([]byte(tt.in))
			if tt.err != "" {
				if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want ErrInvalid with %q", err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("ReadTemplate = %s, %v, want %s", got, err, tt.want)
			}
		})
	}
}

// statusServer answers GET /v1/capsules/demo with the statuses in turn,
// the last one for good ("gone" is a 404), and counts the requests.
type statusServer struct {
	mu       sync.Mutex
	statuses []string
	asked    int
}

func (s *statusServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st := s.statuses[min(s.asked, len(s.statuses)-1)]
	s.asked++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if st == "gone" {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"errors":[{"status":404,"code":"capsule.not_found","title":"Capsule demo could not be found.","detail":"Capsule demo could not be found."}]}`)
		return
	}
	reason := "null"
	if st == "Error" {
		reason = `"container web: exited with 7"`
	}
	fmt.Fprintf(w, `{"uuid":"cap-1","name":"demo","status":%q,"status_reason":%s}`, st, reason)
}

func TestWaitCapsule(t *testing.T) {
	tests := []struct {
		name     string
		statuses []string
		until    []string
		gone     bool // WaitCapsuleGone
		asked    int
		status   string // of the capsule returned
		err      string
		progress string
	}{
		{name: "until running", statuses: []string{"Creating", "Creating", "Created", "Running"},
			asked: 4, status: "Running", progress: "Creating Created Running"},
		{name: "error ends the wait", statuses: []string{"Creating", "Error", "Running"},
			asked: 2, status: "Error", progress: "Creating Error"},
		{name: "until stopped or running", statuses: []string{"Creating", "Stopped"}, until: []string{"Running", "Stopped"},
			asked: 2, status: "Stopped", progress: "Creating Stopped"},
		{name: "gone while waiting", statuses: []string{"Creating", "gone"},
			asked: 2, err: "Capsule demo could not be found.", progress: "Creating"},
		{name: "until gone", statuses: []string{"Deleting", "Deleting", "gone"}, gone: true,
			asked: 3, progress: "Deleting"},
		{name: "a failed delete", statuses: []string{"Deleting", "Error"}, gone: true,
			asked: 2, err: "delete capsule demo: container web: exited with 7", progress: "Deleting Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &statusServer{statuses: tt.statuses}
			srv := httptest.NewServer(s)
			defer srv.Close()
			c, err := NewClient(Config{Endpoint: srv.URL + "/v1"})
			if err != nil {
				t.Fatal(err)
			}
			var seen []string
			opts := WaitOptions{Interval: time.Millisecond, Progress: func(cp *Capsule) { seen = append(seen, cp.Status) }}
			var got *Capsule
			if tt.gone {
				err = c.WaitCapsuleGone(context.Background(), "demo", opts)
			} else {
				got, err = c.WaitCapsule(context.Background(), "demo", opts, tt.until...)
			}
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
			} else if err != nil {
				t.Fatalf("wait: %v", err)
			}
			if got != nil && got.Status != tt.status {
				t.Fatalf("status = %s, want %s", got.Status, tt.status)
			}
			if s.asked != tt.asked {
				t.Fatalf("asked %d times, want %d: the wait must end at the first answer that settles it", s.asked, tt.asked)
			}
			if p := strings.Join(seen, " "); p != tt.progress {
				t.Fatalf("progress = %q, want %q", p, tt.progress)
			}
		})
	}
}

func TestWaitCapsuleStopsWithItsContext(t *testing.T) {
	srv := httptest.NewServer(&statusServer{statuses: []string{"Creating"}})
	defer srv.Close()
	c, err := NewClient(Config{Endpoint: srv.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.WaitCapsule(ctx, "demo", WaitOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestPollInterval(t *testing.T) {
	// --wait must return within 100 ms of the change it waits for: one
	// interval, plus the answer's own time.
	if PollInterval > 50*time.Millisecond || (WaitOptions{}).interval() != PollInterval {
		t.Fatalf("PollInterval = %v, default %v: want at most 50ms", PollInterval, (WaitOptions{}).interval())
	}
}

// BenchmarkWaitCapsuleLatency measures how long after a capsule's status
// changes WaitCapsule returns, at the default PollInterval, against a
// local server (so the time is the wait's own): "ms/change" is the mean.
func BenchmarkWaitCapsuleLatency(b *testing.B) {
	var (
		mu      sync.Mutex
		changed time.Time
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		st := "Creating"
		if !changed.IsZero() && !time.Now().Before(changed) {
			st = "Running"
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"uuid":"cap-1","status":%q}`, st)
	}))
	defer srv.Close()
	c, err := NewClient(Config{Endpoint: srv.URL + "/v1"})
	if err != nil {
		b.Fatal(err)
	}
	var total, worst time.Duration
	for i := 0; i < b.N; i++ {
		mu.Lock()
		// A change at an arbitrary point between two polls.
		changed = time.Now().Add(time.Duration(20+i*7%50) * time.Millisecond)
		at := changed
		mu.Unlock()
		if _, err := c.WaitCapsule(context.Background(), "demo", WaitOptions{}); err != nil {
			b.Fatal(err)
		}
		d := time.Since(at)
		total += d
		worst = max(worst, d)
		mu.Lock()
		changed = time.Time{}
		mu.Unlock()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/change")
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
}
