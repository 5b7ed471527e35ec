package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// TestCalls checks what each call puts on the wire and what it makes of
// the answer.
func TestCalls(t *testing.T) {
	ctx := context.Background()
	ten := 10
	const ct = `{"uuid":"c1","name":"web","image":"nginx","status":"Creating","command":["nginx"],"memory":"512","cpu":1}`
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
			name: "create and run",
			call: func(c *Client) (any, error) {
				return c.CreateContainer(ctx, CreateContainer{Image: "nginx", Name: "web", Command: []string{"nginx", "-g", "daemon off;"}, Environment: map[string]string{"A": "1"}}, true)
			},
			a:      answer{status: 202, body: ct},
			method: "POST", path: "/v1/containers", query: "run=true",
			body: `{"image":"nginx","name":"web","command":["nginx","-g","daemon off;"],"environment":{"A":"1"}}`,
			want: ct,
		},
		{
			name:    "create before 1.20 sends a command string",
			version: V(19),
			call: func(c *Client) (any, error) {
				return c.CreateContainer(ctx, CreateContainer{Image: "nginx", Command: []string{"sh", "-c", "echo it's"}}, false)
			},
			a:      answer{status: 202, body: ct},
			method: "POST", path: "/v1/containers", query: "run=false",
			body: `{"image":"nginx","command":"sh -c 'echo it'\"'\"'s'"}`,
			want: ct,
		},
		{
			name: "list with options",
			call: func(c *Client) (any, error) {
				return c.ListContainers(ctx, ListOptions{AllProjects: true, Limit: 2, Marker: "m", SortKey: "name", SortDir: "desc", Filters: map[string]string{"status": "Running"}})
			},
			a:      answer{body: `{"containers":[` + ct + `],"next":null}`},
			method: "GET", path: "/v1/containers", query: "all_projects=true&limit=2&marker=m&sort_dir=desc&sort_key=name&status=Running",
			want: `{"containers":[` + ct + `],"next":""}`,
		},
		{
			name:   "get escapes the ident",
			call:   func(c *Client) (any, error) { return c.GetContainer(ctx, "a/b c") },
			a:      answer{body: ct},
			method: "GET", path: "/v1/containers/a%2Fb%20c",
			want: ct,
		},
		{
			name:   "get escapes dot segments",
			call:   func(c *Client) (any, error) { return c.GetContainer(ctx, "..") },
			a:      answer{body: ct},
			method: "GET", path: "/v1/containers/%2E%2E",
			want: ct,
		},
		{
			name:   "delete",
			call:   func(c *Client) (any, error) { return nil, c.DeleteContainer(ctx, "web", DeleteOptions{}) },
			a:      answer{status: 204},
			method: "DELETE", path: "/v1/containers/web",
		},
		{
			name: "delete with switches",
			call: func(c *Client) (any, error) {
				return nil, c.DeleteContainer(ctx, "web", DeleteOptions{Force: true, Stop: true, AllProjects: true})
			},
			a:      answer{status: 204},
			method: "DELETE", path: "/v1/containers/web", query: "all_projects=true&force=true&stop=true",
		},
		{
			name: "update",
			call: func(c *Client) (any, error) {
				return c.UpdateContainer(ctx, "web", UpdateContainer{CPU: 0.5, Memory: "256"})
			},
			a:      answer{body: ct},
			method: "PATCH", path: "/v1/containers/web", body: `{"cpu":0.5,"memory":"256"}`,
			want: ct,
		},
		{
			name:   "rename",
			call:   func(c *Client) (any, error) { return c.RenameContainer(ctx, "web", "db") },
			a:      answer{body: ct},
			method: "PATCH", path: "/v1/containers/web", body: `{"name":"db"}`,
			want: ct,
		},
		{name: "start", call: func(c *Client) (any, error) { return nil, c.Start(ctx, "web") }, a: answer{status: 202}, method: "POST", path: "/v1/containers/web/start"},
		{name: "stop", call: func(c *Client) (any, error) { return nil, c.Stop(ctx, "web", nil) }, a: answer{status: 202}, method: "POST", path: "/v1/containers/web/stop"},
		{name: "stop with timeout", call: func(c *Client) (any, error) { return nil, c.Stop(ctx, "web", &ten) }, a: answer{status: 202}, method: "POST", path: "/v1/containers/web/stop", query: "timeout=10"},
		{name: "reboot with timeout", call: func(c *Client) (any, error) { return nil, c.Reboot(ctx, "web", &ten) }, a: answer{status: 202}, method: "POST", path: "/v1/containers/web/reboot", query: "timeout=10"},
		{name: "pause", call: func(c *Client) (any, error) { return nil, c.Pause(ctx, "web") }, a: answer{status: 202}, method: "POST", path: "/v1/containers/web/pause"},
		{name: "unpause", call: func(c *Client) (any, error) { return nil, c.Unpause(ctx, "web") }, a: answer{status: 202}, method: "POST", path: "/v1/containers/web/unpause"},
		{name: "kill", call: func(c *Client) (any, error) { return nil, c.Kill(ctx, "web", "") }, a: answer{status: 202}, method: "POST", path: "/v1/containers/web/kill"},
		{name: "kill with signal", call: func(c *Client) (any, error) { return nil, c.Kill(ctx, "web", "SIGTERM") }, a: answer{status: 202}, method: "POST", path: "/v1/containers/web/kill", query: "signal=SIGTERM"},
		{
			name:   "logs default both streams",
			call:   func(c *Client) (any, error) { return c.Logs(ctx, "web", LogOptions{}) },
			a:      answer{body: `"line 1\nline 2\n"`},
			method: "GET", path: "/v1/containers/web/logs", query: "stderr=true&stdout=true&timestamps=false",
			want: `"line 1\nline 2\n"`,
		},
		{
			name: "logs with options",
			call: func(c *Client) (any, error) {
				return c.Logs(ctx, "web", LogOptions{Stderr: true, Timestamps: true, Tail: "5", Since: "1700000000"})
			},
			a:      answer{body: `"oops\n"`},
			method: "GET", path: "/v1/containers/web/logs", query: "since=1700000000&stderr=true&stdout=false&tail=5&timestamps=true",
			want: `"oops\n"`,
		},
		{
			name:   "execute",
			call:   func(c *Client) (any, error) { return c.Execute(ctx, "web", "sh -c 'exit 3'") },
			a:      answer{body: `{"output":"","exit_code":3,"exec_id":null,"proxy_url":null}`},
			method: "POST", path: "/v1/containers/web/execute", query: "command=sh+-c+%27exit+3%27&run=true",
			want: `{"output":"","exit_code":3}`,
		},
		{
			name:   "stats",
			call:   func(c *Client) (any, error) { return c.Stats(ctx, "web") },
			a:      answer{body: `{"CONTAINER":"web","CPU %":1.5,"NET I/O(B)":"1/2"}`},
			method: "GET", path: "/v1/containers/web/stats",
			want: `{"CONTAINER":"web","CPU %":1.5,"NET I/O(B)":"1/2"}`,
		},
		{
			name:   "top",
			call:   func(c *Client) (any, error) { return c.Top(ctx, "web", "aux") },
			a:      answer{body: `{"Titles":["PID","CMD"],"Processes":[["1","nginx"]]}`},
			method: "GET", path: "/v1/containers/web/top", query: "ps_args=aux",
			want: `{"Titles":["PID","CMD"],"Processes":[["1","nginx"]]}`,
		},
		{
			name:   "commit",
			call:   func(c *Client) (any, error) { return c.Commit(ctx, "web", "registry:5000/me/web", "v2") },
			a:      answer{status: 202, body: `{"uuid":"img-1"}`},
			method: "POST", path: "/v1/containers/web/commit", query: "repository=registry%3A5000%2Fme%2Fweb&tag=v2",
			want: `{"uuid":"img-1"}`,
		},
		{
			name:   "list actions",
			call:   func(c *Client) (any, error) { return c.ListActions(ctx, "web") },
			a:      answer{body: `{"containerActions":[{"action":"create","request_id":"req-1","container_uuid":"c1"}]}`},
			method: "GET", path: "/v1/containers/web/container_actions",
			want: `[{"action":"create","request_id":"req-1","container_uuid":"c1"}]`,
		},
		{
			name:   "get action",
			call:   func(c *Client) (any, error) { return c.GetAction(ctx, "web", "req-1") },
			a:      answer{body: `{"action":"create","request_id":"req-1","events":[{"event":"compute__do_container_create","result":"Success"}]}`},
			method: "GET", path: "/v1/containers/web/container_actions/req-1",
			want: `{"action":"create","request_id":"req-1","events":[{"event":"compute__do_container_create","result":"Success"}]}`,
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
			// Decode want into the result's type, so that both sides
			// carry the same zero values.
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

func TestListAllContainersFollowsNext(t *testing.T) {
	// The next links name another host: the client must stay on its
	// endpoint and take only their query.
	pages := map[string]string{
		"":  `{"containers":[{"uuid":"a"},{"uuid":"b"}],"next":"http://elsewhere.invalid/v1/containers?limit=2&marker=b&status=Running"}`,
		"b": `{"containers":[{"uuid":"c"},{"uuid":"d"}],"next":"http://elsewhere.invalid/v1/containers?limit=2&marker=d&status=Running"}`,
		"d": `{"containers":[],"next":null}`,
	}
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		io.WriteString(w, pages[r.URL.Query().Get("marker")])
	}))
	defer srv.Close()
	c, err := NewClient(Config{Endpoint: srv.URL + "/v1"})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	got, err := c.ListAllContainers(context.Background(), ListOptions{Limit: 2, Filters: map[string]string{"status": "Running"}})
	if err != nil {
		t.Fatalf("ListAllContainers: %v", err)
	}
	var uuids string
	for _, ct := range got {
		uuids += ct.UUID
	}
	if uuids != "abcd" {
		t.Fatalf("containers = %q, want abcd", uuids)
	}
	want := []string{"limit=2&status=Running", "limit=2&marker=b&status=Running", "limit=2&marker=d&status=Running"}
	if len(queries) != len(want) {
		t.Fatalf("queries = %q, want %q", queries, want)
	}
	for i := range want {
		if queries[i] != want[i] {
			t.Fatalf("query %d = %q, want %q", i, queries[i], want[i])
		}
	}
}
