package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// The golden files show this release.
func init() { version = "0.0.0-test" }

// reply is a canned answer of the fake service. A body "@name" is the
// file testdata/zun/name.json.
type reply struct {
	status int
	body   string
	ctype  string
	header map[string]string
}

// fakeZun serves canned Zun answers by "METHOD /escaped/path" and keeps a
// log of the requests. A route's replies are used in turn, the last one
// for good. The image store is on the same server, under /image (its
// paths are the ones with /v2/).
type fakeZun struct {
	t      *testing.T
	mu     sync.Mutex
	routes map[string][]reply
	log    strings.Builder
}

func (f *fakeZun) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := r.Method + " " + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		line += "?" + r.URL.RawQuery
	}
	want := "container 1.40"
	if strings.Contains(r.URL.Path, "/v2/") {
		want = "" // the image store has no microversions
	}
	if v := r.Header.Get("OpenStack-API-Version"); v != want {
		line += "  [" + v + "]"
	}
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		line += "  [token " + tok + "]"
	}
	fmt.Fprintln(&f.log, line)
	b, _ := io.ReadAll(r.Body)
	switch {
	case r.Header.Get("Content-Type") == "application/octet-stream":
		length := r.Header.Get("Content-Length")
		if length == "" {
			length = "none"
		}
		fmt.Fprintf(&f.log, "  [%d bytes of application/octet-stream, Content-Length %s]\n", len(b), length)
	case len(b) > 0:
		fmt.Fprintf(&f.log, "  %s\n", canonicalJSON(f.t, b))
	}

	key := r.Method + " " + r.URL.EscapedPath()
	replies := f.routes[key]
	if len(replies) == 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"errors":[{"status":404,"code":"container.not_found","title":"fake: no route for %s","detail":"fake: no route for %s"}]}`, key, key)
		return
	}
	rp := replies[0]
	if len(replies) > 1 {
		f.routes[key] = replies[1:]
	}
	body := rp.body
	if name, ok := strings.CutPrefix(body, "@"); ok {
		b, err := os.ReadFile(filepath.Join("testdata", "zun", name+".json"))
		if err != nil {
			f.t.Errorf("fixture: %v", err)
		}
		body = string(b)
	}
	ctype := rp.ctype
	if ctype == "" {
		ctype = "application/json"
	}
	w.Header().Set("Content-Type", ctype)
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	status := rp.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// canonicalJSON re-encodes a request body with sorted keys.
func canonicalJSON(t *testing.T, b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Errorf("request body is not JSON: %s", b)
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// cliCase is one zunctl run against the fake service, checked against
// testdata/<name>.golden. In args and env, {srv} is the fake's URL and
// {tmp} a directory that holds files before the run.
type cliCase struct {
	name   string
	args   []string
	env    map[string]string
	routes map[string][]reply
	files  map[string]string
}

// runCase runs zunctl and renders what happened: the command line, the
// requests, stdout, stderr, the exit status and, when there are any, the
// files of {tmp}.
func runCase(t *testing.T, tc cliCase) string {
	t.Helper()
	fake := &fakeZun{t: t, routes: tc.routes}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	for name, content := range tc.files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	expand := strings.NewReplacer("{srv}", srv.URL, "{tmp}", dir).Replace
	env := map[string]string{envEndpoint: srv.URL + "/v1"}
	for k, v := range tc.env {
		env[k] = expand(v)
	}
	args := make([]string, len(tc.args))
	for i, arg := range tc.args {
		args[i] = expand(arg)
	}
	var stdout, stderr bytes.Buffer
	a := &app{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }, pollInterval: time.Millisecond}
	code := a.run(context.Background(), args)

	fake.mu.Lock()
	requests := fake.log.String()
	fake.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "$ zunctl %s\n", strings.Join(quoteArgs(tc.args), " "))
	fmt.Fprintf(&b, "--- requests\n%s", requests)
	fmt.Fprintf(&b, "--- stdout\n%s", stdout.String())
	fmt.Fprintf(&b, "--- stderr\n%s", stderr.String())
	fmt.Fprintf(&b, "--- exit %d\n", code)
	if files := listFiles(t, dir); files != "" {
		fmt.Fprintf(&b, "--- files\n%s", files)
	}
	return strings.NewReplacer(srv.URL, "http://zun.test", dir, "{tmp}").Replace(b.String())
}

// listFiles lists the files of dir with their sizes and MD5 checksums.
func listFiles(t *testing.T, dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s: %d bytes, md5 %x\n", e.Name(), len(data), md5.Sum(data))
	}
	return b.String()
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " '\"$;") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// checkGolden compares got with testdata/name.golden, or rewrites it with
// -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./cmd/zunctl -update to create it): %v", err)
	}
	if got != string(want) {
		t.Fatalf("output differs from %s (run go test ./cmd/zunctl -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func runGolden(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, tc.name, runCase(t, tc))
		})
	}
}
