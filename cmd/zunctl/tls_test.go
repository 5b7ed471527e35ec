package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTLSSettings checks that zunctl trusts the CA of OS_CACERT,
// --os-cacert or clouds.yaml's cacert for both the login and the API,
// refuses a server it cannot verify, and warns when told not to verify.
func TestTLSSettings(t *testing.T) {
	srv := startFakeCloud(t, false, true)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	cloud := func(name, extra string) string {
		return "  " + name + ":\n    auth:\n      auth_url: " + srv.URL + "/identity/v3\n" +
			"      username: demo\n      password: s3cret\n      project_name: demo\n" + extra
	}
	clouds := filepath.Join(dir, "clouds.yaml")
	err := os.WriteFile(clouds, []byte("clouds:\n"+
		cloud("plain", "")+
		cloud("cacert", "    cacert: "+ca+"\n")+
		cloud("unverified", "    verify: false\n")+
		cloud("bad-cacert", "    cacert: "+missing+"\n")), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	openrc := map[string]string{
		"OS_AUTH_URL": srv.URL + "/identity/v3", "OS_USERNAME": "demo", "OS_PASSWORD": "s3cret", "OS_PROJECT_NAME": "demo",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	const (
		untrusted = "certificate signed by unknown authority"
		hint      = "set OS_CACERT or --os-cacert"
		warning   = "warning: TLS certificates are not verified"
	)
	for _, tc := range []struct {
		name       string
		env        map[string]string
		args       []string
		want       int
		wantStderr []string
	}{
		{"openrc with OS_CACERT", with(openrc, "OS_CACERT", ca), nil, 0, nil},
		{"openrc without OS_CACERT", openrc, nil, 1, []string{untrusted, hint}},
		{"--os-cacert", openrc, []string{"--os-cacert", ca}, 0, nil},
		{"--os-cacert over OS_CACERT", with(openrc, "OS_CACERT", missing), []string{"--os-cacert", ca}, 0, nil},
		{"OS_CACERT missing", with(openrc, "OS_CACERT", missing), nil, 2, []string{"CA file", missing}},
		{"OS_INSECURE", with(openrc, "OS_INSECURE", "true"), nil, 0, []string{warning}},
		{"--insecure", openrc, []string{"--insecure"}, 0, []string{warning}},
		{"OS_INSECURE not a boolean", with(openrc, "OS_INSECURE", "maybe"), nil, 2, []string{"OS_INSECURE=maybe"}},
		{"clouds.yaml cacert", map[string]string{"OS_CLOUD": "cacert", "OS_CLIENT_CONFIG_FILE": clouds}, nil, 0, nil},
		{"clouds.yaml without cacert", map[string]string{"OS_CLOUD": "plain", "OS_CLIENT_CONFIG_FILE": clouds}, nil, 1, []string{untrusted}},
		{"clouds.yaml and OS_CACERT", map[string]string{"OS_CLOUD": "plain", "OS_CLIENT_CONFIG_FILE": clouds, "OS_CACERT": ca}, nil, 0, nil},
		{"clouds.yaml verify false", map[string]string{"OS_CLOUD": "unverified", "OS_CLIENT_CONFIG_FILE": clouds}, nil, 0, []string{warning}},
		{"clouds.yaml cacert missing", map[string]string{"OS_CLOUD": "bad-cacert", "OS_CLIENT_CONFIG_FILE": clouds}, nil, 2, []string{missing}},
		{"token and endpoint with OS_CACERT",
			map[string]string{"ZUN_TOKEN": "tok-demo", "ZUN_ENDPOINT": srv.URL + "/v1", "OS_CACERT": ca}, nil, 0, nil},
		{"token and endpoint without OS_CACERT",
			map[string]string{"ZUN_TOKEN": "tok-demo", "ZUN_ENDPOINT": srv.URL + "/v1"}, nil, 1, []string{untrusted, hint}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			a := &app{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return tc.env[k] }}
			code := a.run(context.Background(), append([]string{"list"}, tc.args...))
			if code != tc.want {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.want, stderr.String())
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Fatalf("stderr %q, want %q in it", stderr.String(), w)
				}
			}
			if len(tc.wantStderr) == 0 && stderr.Len() != 0 {
				t.Fatalf("stderr %q, want none", stderr.String())
			}
			if code == 0 && !strings.Contains(stdout.String(), "UUID") {
				t.Fatalf("stdout %q", stdout.String())
			}
		})
	}
}
