package main

import "testing"

const (
	webPath = "/v1/containers/7c4f2a9e-5b1d-4e8a-9f3c-2d6b8a1e0f45"
	reqID   = "req-a1b2c3d4-0000-4000-8000-000000000001"
)

func notFound(what string) reply {
	return reply{status: 404, body: `{"errors":[{"request_id":"req-1","code":"container.not_found","status":404,"title":"Container ` + what + ` could not be found.","detail":"Container ` + what + ` could not be found.","links":[]}]}`}
}

func routes(kv ...any) map[string][]reply {
	m := map[string][]reply{}
	for i := 0; i < len(kv); i += 2 {
		switch r := kv[i+1].(type) {
		case reply:
			m[kv[i].(string)] = []reply{r}
		case []reply:
			m[kv[i].(string)] = r
		}
	}
	return m
}

func TestContainerCommands(t *testing.T) {
	runGolden(t, []cliCase{
		{name: "list", args: []string{"list"}, routes: routes("GET /v1/containers", reply{body: "@containers"})},
		{name: "list_json", args: []string{"--json", "list"}, routes: routes("GET /v1/containers", reply{body: "@containers"})},
		{
			name:   "list_page",
			args:   []string{"list", "--all-projects", "--limit", "2", "--status", "Running", "--sort-key", "name", "--sort-dir", "desc"},
			routes: routes("GET /v1/containers", reply{body: "@containers_page"}),
		},
		{name: "show", args: []string{"show", "web"}, routes: routes("GET /v1/containers/web", reply{body: "@container_running"})},
		{name: "show_not_found", args: []string{"show", "nope"}, routes: routes("GET /v1/containers/nope", notFound("nope"))},
		{
			name: "run_wait",
			args: []string{"run", "-n", "web", "-m", "512", "--cpu", "1", "-e", "TZ=UTC", "-e", "NGINX_PORT=80", "--label", "app=web",
				"--restart", "on-failure:3", "--entrypoint", "/docker-entrypoint.sh", "--wait", "nginx:latest", "nginx", "-g", "daemon off;"},
			routes: routes(
				"POST /v1/containers", reply{status: 202, body: "@container_creating"},
				"GET "+webPath, []reply{{body: "@container_creating"}, {body: "@container_pulling"}, {body: "@container_running"}},
			),
		},
		{
			name: "run_wait_error",
			args: []string{"run", "--wait", "nginx-typo"},
			routes: routes(
				"POST /v1/containers", reply{status: 202, body: "@container_creating"},
				"GET "+webPath, []reply{{body: "@container_pulling"}, {body: "@container_error"}},
			),
		},
		{
			name: "create",
			args: []string{"create", "-n", "db", "-i", "-t", "--hint", "label:ssd=true", "--net", "network=private,v4-fixed-ip=10.0.0.9",
				"--image-pull-policy", "IfNotPresent", "--auto-remove", "--privileged", "--hostname", "db1", "postgres:16", "--", "postgres", "-c", "fsync=off"},
			routes: routes("POST /v1/containers", reply{status: 202, body: "@container_creating"}),
		},
		{
			name:   "run_old_microversion",
			args:   []string{"--api-version", "1.19", "--json", "run", "busybox", "sh", "-c", "echo it's"},
			routes: routes("POST /v1/containers", reply{status: 202, body: "@container_creating"}),
			env:    map[string]string{envToken: "tok-from-env"},
		},
		{
			name:   "update",
			args:   []string{"update", "--cpu", "2", "-m", "1024", "web"},
			routes: routes("PATCH /v1/containers/web", reply{body: "@container_running"}),
		},
		{name: "rename", args: []string{"--json", "rename", "web", "frontend"}, routes: routes("PATCH /v1/containers/web", reply{body: "@container_running"})},
	})
}

func TestLifecycleCommands(t *testing.T) {
	runGolden(t, []cliCase{
		{
			name:   "delete_several",
			args:   []string{"delete", "--stop", "web", "nope", "db"},
			routes: routes("DELETE /v1/containers/web", reply{status: 204}, "DELETE /v1/containers/nope", notFound("nope"), "DELETE /v1/containers/db", reply{status: 204}),
		},
		{name: "stop", args: []string{"stop", "-t", "5", "web", "db"}, routes: routes("POST /v1/containers/web/stop", reply{status: 202}, "POST /v1/containers/db/stop", reply{status: 202})},
		{name: "restart", args: []string{"restart", "web"}, routes: routes("POST /v1/containers/web/reboot", reply{status: 202})},
		{name: "start_json", args: []string{"--json", "start", "web"}, routes: routes("POST /v1/containers/web/start", reply{status: 202})},
		{
			name: "pause_conflict",
			args: []string{"pause", "web"},
			routes: routes("POST /v1/containers/web/pause", reply{status: 409,
				body: `{"errors":[{"request_id":"req-2","code":"container.conflict","status":409,"title":"Cannot pause container web in Stopped state.","detail":"Cannot pause container web in Stopped state.","links":[]}]}`}),
		},
		{name: "unpause", args: []string{"unpause", "web"}, routes: routes("POST /v1/containers/web/unpause", reply{status: 202})},
		{name: "kill", args: []string{"kill", "-s", "HUP", "web"}, routes: routes("POST /v1/containers/web/kill", reply{status: 202})},
	})
}

func TestOperationCommands(t *testing.T) {
	runGolden(t, []cliCase{
		{name: "logs", args: []string{"logs", "--tail", "2", "-t", "web"}, routes: routes("GET /v1/containers/web/logs", reply{body: `"2025-06-01T10:00:01Z start\n2025-06-01T10:00:02Z ready\n"`})},
		{
			name:   "logs_follow",
			args:   []string{"logs", "-f", "--stderr", "web"},
			routes: routes("GET /v1/containers/web/logs", reply{body: "GET / 200\nGET /favicon.ico 404\n", ctype: "text/plain; charset=utf-8"}),
		},
		{
			name:   "exec_exit_status",
			args:   []string{"exec", "web", "--", "sh", "-c", "echo boom; exit 3"},
			routes: routes("POST /v1/containers/web/execute", reply{body: `{"output":"boom","exit_code":3,"exec_id":null,"proxy_url":null}`}),
		},
		{
			name:   "exec",
			args:   []string{"exec", "web", "ls", "-l", "/"},
			routes: routes("POST /v1/containers/web/execute", reply{body: `{"output":"bin\netc\n","exit_code":0,"exec_id":null,"proxy_url":null}`}),
		},
		{name: "stats", args: []string{"stats", "web"}, routes: routes("GET /v1/containers/web/stats", reply{body: "@stats"})},
		{name: "top", args: []string{"top", "--pid", "aux", "web"}, routes: routes("GET /v1/containers/web/top", reply{body: "@top"})},
		{name: "commit", args: []string{"commit", "web", "registry.example:5000/me/web:v1"}, routes: routes("POST /v1/containers/web/commit", reply{status: 202, body: `{"uuid":"d4e5f6a7-0000-4000-8000-000000000123"}`})},
		{name: "actions_list", args: []string{"actions", "list", "web"}, routes: routes("GET /v1/containers/web/container_actions", reply{body: "@actions"})},
		{name: "actions_show", args: []string{"actions", "show", "web", reqID}, routes: routes("GET /v1/containers/web/container_actions/"+reqID, reply{body: "@action"})},
		{name: "version", args: []string{"version"}, routes: routes("GET /", reply{body: "@root"})},
		{name: "version_json", args: []string{"--json", "version"}, routes: routes("GET /", reply{body: "@root"})},
	})
}

// TestUsage checks that wrong command lines exit with 2 and send nothing.
func TestUsage(t *testing.T) {
	runGolden(t, []cliCase{
		{name: "usage_unknown_command", args: []string{"lsit"}},
		{name: "usage_unknown_flag", args: []string{"list", "--bogus"}},
		{name: "usage_missing_arg", args: []string{"show"}},
		{name: "usage_extra_arg", args: []string{"show", "web", "db"}},
		{name: "usage_restart_and_auto_remove", args: []string{"run", "--restart", "always", "--auto-remove", "nginx"}},
		{name: "usage_bad_environment", args: []string{"run", "-e", "TZ", "nginx"}},
		{name: "usage_bad_restart", args: []string{"create", "--restart", "sometimes", "nginx"}},
		{name: "usage_update_nothing", args: []string{"update", "web"}},
		{name: "usage_exec_no_command", args: []string{"exec", "web", "--"}},
		{name: "usage_api_version", args: []string{"--api-version", "2.0", "list"}},
		{name: "usage_actions_unknown", args: []string{"actions", "shwo", "web"}},
	})
}

// TestHelp keeps the help texts under review.
func TestHelp(t *testing.T) {
	runGolden(t, []cliCase{
		{name: "help", args: []string{"--help"}},
		{name: "help_run", args: []string{"run", "--help"}},
		{name: "help_actions", args: []string{"actions"}},
	})
}
