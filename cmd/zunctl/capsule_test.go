package main

import "testing"

const capsulePath = "/v1/capsules/3b1e7a52-9c4d-4f6e-8a2b-1d0c9e8f7a65"

// demoTemplate is docs/capsules.md's example, in YAML.
const demoTemplate = `kind: capsule
capsuleVersion: beta
metadata:
  name: demo
  labels: {app: web}
  annotations: {owner: team-a}
spec:
  restartPolicy: Always
  initContainers:
  - name: seed
    image: busybox
    command: [sh, -c]
    args: ["echo hello > /work/index.html"]
    volumeMounts:
    - {name: site, mountPath: /work}
  containers:
  - name: web
    image: nginx
    ports:
    - {name: http, containerPort: 80, protocol: TCP}
    resources:
      requests: {cpu: 0.5, memory: 256}
    volumeMounts:
    - {name: site, mountPath: /usr/share/nginx/html}
  volumes:
  - name: site
    cinder: {size: 1, autoRemove: true}
`

func capsuleNotFound(what string) reply {
	return reply{status: 404, body: `{"errors":[{"request_id":"req-1","code":"capsule.not_found","status":404,"title":"Capsule ` + what + ` could not be found.","detail":"Capsule ` + what + ` could not be found.","links":[]}]}`}
}

func TestCapsuleCommands(t *testing.T) {
	tpl := map[string]string{"demo.yaml": demoTemplate}
	runGolden(t, []cliCase{
		{
			name:   "capsule_create",
			args:   []string{"capsule", "create", "-f", "{tmp}/demo.yaml"},
			files:  tpl,
			routes: routes("POST /v1/capsules", reply{status: 202, body: "@capsule_creating"}),
		},
		{
			name:   "capsule_create_json",
			args:   []string{"--json", "capsule", "create", "--file", "{tmp}/demo.json"},
			files:  map[string]string{"demo.json": `{"kind": "capsule", "metadata": {"name": "demo"}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}`},
			routes: routes("POST /v1/capsules", reply{status: 202, body: "@capsule_creating"}),
		},
		{
			name:  "capsule_create_wait",
			args:  []string{"capsule", "create", "--wait", "-f", "{tmp}/demo.yaml"},
			files: tpl,
			routes: routes(
				"POST /v1/capsules", reply{status: 202, body: "@capsule_creating"},
				"GET "+capsulePath, []reply{{body: "@capsule_creating"}, {body: "@capsule_created"}, {body: "@capsule_created"}, {body: "@capsule_running"}},
			),
		},
		{
			name:  "capsule_create_wait_error",
			args:  []string{"capsule", "create", "--wait", "-f", "{tmp}/demo.yaml"},
			files: tpl,
			routes: routes(
				"POST /v1/capsules", reply{status: 202, body: "@capsule_creating"},
				"GET "+capsulePath, []reply{{body: "@capsule_created"}, {body: "@capsule_error"}},
			),
		},
		{
			name:  "capsule_create_refused",
			args:  []string{"capsule", "create", "-f", "{tmp}/demo.yaml"},
			files: tpl,
			routes: routes("POST /v1/capsules", reply{status: 400,
				body: `{"errors":[{"request_id":"req-3","code":"capsule.invalid","status":400,"title":"Invalid input for field 'spec.containers[0].image'. Value: 'Bad Image'.","detail":"Invalid input for field 'spec.containers[0].image'. Value: 'Bad Image'.","links":[]}]}`}),
		},
		{name: "capsule_list", args: []string{"capsule", "list"}, routes: routes("GET /v1/capsules", reply{body: "@capsules"})},
		{
			name:   "capsule_list_page",
			args:   []string{"capsule", "ls", "--all-projects", "--limit", "1", "--sort-key", "name", "--sort-dir", "desc"},
			routes: routes("GET /v1/capsules", reply{body: "@capsules_page"}),
		},
		{name: "capsule_show", args: []string{"capsule", "show", "demo"}, routes: routes("GET /v1/capsules/demo", reply{body: "@capsule_running"})},
		{name: "capsule_show_error", args: []string{"capsule", "show", "demo"}, routes: routes("GET /v1/capsules/demo", reply{body: "@capsule_error"})},
		{
			name:   "capsule_show_legacy",
			args:   []string{"--api-version", "1.31", "capsule", "show", "demo"},
			routes: routes("GET /v1/capsules/demo", reply{body: "@capsule_legacy"}),
		},
		{name: "capsule_show_not_found", args: []string{"capsule", "show", "nope"}, routes: routes("GET /v1/capsules/nope", capsuleNotFound("nope"))},
		{
			name: "capsule_delete_wait",
			args: []string{"capsule", "delete", "--wait", "demo"},
			routes: routes(
				"DELETE /v1/capsules/demo", reply{status: 204},
				"GET /v1/capsules/demo", []reply{{body: "@capsule_deleting"}, {body: "@capsule_deleting"}, capsuleNotFound("demo")},
			),
		},
		{
			name:   "capsule_delete_several",
			args:   []string{"capsule", "delete", "demo", "nope"},
			routes: routes("DELETE /v1/capsules/demo", reply{status: 204}, "DELETE /v1/capsules/nope", capsuleNotFound("nope")),
		},
		{
			name:   "capsule_logs",
			args:   []string{"capsule", "logs", "--tail", "2", "demo", "web"},
			routes: routes("GET /v1/capsules/demo/containers/web/logs", reply{body: `"GET / 200\nGET /index.html 200\n"`}),
		},
		{
			name:   "capsule_logs_follow",
			args:   []string{"capsule", "logs", "-f", "demo", "seed"},
			routes: routes("GET /v1/capsules/demo/containers/seed/logs", reply{body: "seeded\n", ctype: "text/plain; charset=utf-8"}),
		},
		{
			name:   "capsule_exec",
			args:   []string{"capsule", "exec", "demo", "probe", "--", "sh", "-c", "wget -qO- localhost:8080; exit 3"},
			routes: routes("POST /v1/capsules/demo/containers/probe/execute", reply{body: `{"output":"hello from the capsule\n","exit_code":3,"exec_id":null,"proxy_url":null}`}),
		},
		{name: "capsule_top", args: []string{"capsule", "top", "--pid", "aux", "demo", "web"}, routes: routes("GET /v1/capsules/demo/containers/web/top", reply{body: "@top"})},
		{name: "capsule_stats", args: []string{"capsule", "stats", "demo", "web"}, routes: routes("GET /v1/capsules/demo/containers/web/stats", reply{body: "@stats"})},
		{
			name:   "capsule_container_not_found",
			args:   []string{"capsule", "stats", "demo", "nope"},
			routes: routes("GET /v1/capsules/demo/containers/nope/stats", notFound("nope")),
		},
		{name: "usage_capsule_exec_no_command", args: []string{"capsule", "exec", "demo", "web", "--"}},
		{name: "usage_capsule_create_no_file", args: []string{"capsule", "create"}},
		{name: "usage_capsule_create_missing_file", args: []string{"capsule", "create", "-f", "{tmp}/absent.yaml"}},
		{name: "usage_capsule_create_bad_yaml", args: []string{"capsule", "create", "-f", "{tmp}/bad.yaml"}, files: map[string]string{"bad.yaml": "kind: [capsule\n"}},
		{name: "usage_capsule_logs_no_container", args: []string{"capsule", "logs", "demo"}},
		{name: "help_capsule", args: []string{"capsule"}},
		{name: "help_capsule_create", args: []string{"capsule", "create", "--help"}},
	})
}
