package main

import (
	"bytes"
	"context"
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
}

// fakeZun serves canned Zun answers by "METHOD /escaped/path" and keeps a
// log of the requests. A route's replies are used in turn, the last one
// for good.
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
	if v := r.Header.Get("OpenStack-API-Version"); v != "container 1.40" {
		line += "  [" + v + "]"
	}
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		line += "  [token " + tok + "]"
	}
	fmt.Fprintln(&f.log, line)
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
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
// testdata/<name>.golden.
type cliCase struct {
	name   string
	args   []string
	env    map[string]string
	routes map[string][]reply
}

// runCase runs zunctl and renders what happened: the command line, the
// requests, stdout, stderr and the exit status.
func runCase(t *testing.T, tc cliCase) string {
	t.Helper()
	fake := &fakeZun{t: t, routes: tc.routes}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	env := map[string]string{envEndpoint: srv.URL + "/v1"}
	for k, v := range tc.env {
		env[k] = v
	}
	var stdout, stderr bytes.Buffer
	a := &app{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }, pollInterval: time.Millisecond}
	code := a.run(context.Background(), tc.args)

	fake.mu.Lock()
	requests := fake.log.String()
	fake.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "$ zunctl %s\n", strings.Join(quoteArgs(tc.args), " "))
	fmt.Fprintf(&b, "--- requests\n%s", requests)
	fmt.Fprintf(&b, "--- stdout\n%s", stdout.String())
	fmt.Fprintf(&b, "--- stderr\n%s", stderr.String())
	fmt.Fprintf(&b, "--- exit %d\n", code)
	return strings.ReplaceAll(b.String(), srv.URL, "http://zun.test")
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
