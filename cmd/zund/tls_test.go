package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zun-go/zun/identity"
)

// TestUpdateClientFiles: the client files written on first start follow
// each later start's auth URL and TLS.
func TestUpdateClientFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := identity.WriteClientFiles(dir, identity.Credentials{AuthURL: "http://127.0.0.1:9517/identity/v3",
		User: "admin", Password: "pw", Project: "admin", Region: "RegionOne"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, authURL, ca string
		want, wantNot     []string
	}{
		{"tls on", "https://127.0.0.1:9517/identity/v3", "/data/tls/ca.pem",
			[]string{"export OS_AUTH_URL='https://127.0.0.1:9517/identity/v3'", "export OS_CACERT='/data/tls/ca.pem'",
				`auth_url: "https://127.0.0.1:9517/identity/v3"`, `    cacert: "/data/tls/ca.pem"`, "export OS_PASSWORD='pw'"},
			[]string{"http://"}},
		{"again: unchanged", "https://127.0.0.1:9517/identity/v3", "/data/tls/ca.pem",
			[]string{"export OS_CACERT='/data/tls/ca.pem'"}, nil},
		{"tls off again", "http://127.0.0.1:9517/identity/v3", "",
			[]string{"export OS_AUTH_URL='http://127.0.0.1:9517/identity/v3'", `auth_url: "http://127.0.0.1:9517/identity/v3"`},
			[]string{"CACERT", "cacert", "https://"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := updateClientFiles(dir, tc.authURL, tc.ca); err != nil {
				t.Fatal(err)
			}
			openrc, _ := os.ReadFile(filepath.Join(dir, "openrc"))
			clouds, _ := os.ReadFile(filepath.Join(dir, "clouds.yaml"))
			both := string(openrc) + string(clouds)
			for _, w := range tc.want {
				if !strings.Contains(both, w) {
					t.Errorf("missing %q in:\n%s", w, both)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(both, w) {
					t.Errorf("unexpected %q in:\n%s", w, both)
				}
			}
			if n := strings.Count(both, "cacert") + strings.Count(both, "CACERT"); tc.ca != "" && n != 2 {
				t.Errorf("the CA set %d times, want once per file:\n%s", n, both)
			}
		})
	}
}

func TestValidateTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*Config)
		ok     bool
	}{
		{"plain", func(*Config) {}, true},
		{"dev TLS", func(c *Config) { c.DevTLS = true }, true},
		{"certificate and key", func(c *Config) { c.TLS.Cert, c.TLS.Key, c.TLS.CA = "c.pem", "k.pem", "ca.pem" }, true},
		{"certificate without key", func(c *Config) { c.TLS.Cert = "c.pem" }, false},
		{"dev TLS and a certificate", func(c *Config) { c.DevTLS, c.TLS.Cert, c.TLS.Key = true, "c.pem", "k.pem" }, false},
		{"dev TLS and a CA", func(c *Config) { c.DevTLS, c.TLS.CA = true, "ca.pem" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.Dev, c.DataDir, c.Host = true, t.TempDir(), "h"
			tc.modify(&c)
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
