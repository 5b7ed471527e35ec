package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zun-go/zun/internal/httpserve"
)

// TLS of zund's listeners and agent API (docs/security.md): a process's
// --tls-cert and --tls-key are what its listener serves and what it
// presents to its peers; --tls-ca is what their certificates must be
// signed by. `zund --dev --tls` without a certificate makes a development
// CA and certificate under DATA/tls.

// tlsOn reports whether the process serves HTTPS.
func (c *Config) tlsOn() bool { return c.TLS.Cert != "" }

// devTLS fills cfg.TLS with a development CA and a certificate for the
// names this control plane is reached by (the loopback, the host name, the
// listen and public addresses), made under DATA/tls on first start and
// reused after: clients keep trusting DATA/tls/ca.pem.
func devTLS(cfg *Config, ln net.Addr, log *slog.Logger) error {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	add := func(h string) {
		if h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	if h, err := os.Hostname(); err == nil {
		add(h)
	}
	if host, _, err := net.SplitHostPort(ln.String()); err == nil {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			add(host)
		}
	}
	if u, err := url.Parse(cfg.API.PublicURL); err == nil {
		add(u.Hostname())
	}
	t, made, err := httpserve.DevTLS(filepath.Join(cfg.DataDir, "tls"), hosts)
	if err != nil {
		return fmt.Errorf("development TLS certificate: %w", err)
	}
	if made {
		log.Info("made a development TLS certificate", "cert", t.Cert, "ca", t.CA, "hosts", hosts)
	}
	cfg.TLS = t
	return nil
}

// peerClient is the HTTP client of agent API calls: nil (plain
// http.Client) without TLS settings, else one that checks the peer
// against --tls-ca and presents this process's certificate.
func peerClient(cfg Config) (*http.Client, error) {
	if cfg.TLS.Cert == "" && cfg.TLS.CA == "" {
		return nil, nil
	}
	return cfg.TLS.Client()
}

// serverTLS is the TLS configuration of this process's listener, nil
// without TLS. An agent's listener serves only the control plane: with a
// CA, it requires a client certificate the CA signed.
func serverTLS(cfg Config, agentListener bool) (*tls.Config, error) {
	if !cfg.tlsOn() {
		return nil, nil
	}
	return cfg.TLS.ServerConfig(agentListener && cfg.TLS.CA != "")
}

// updateClientFiles keeps DATA/openrc and DATA/clouds.yaml (written by the
// identity service on first start) pointing at this start's auth URL,
// with OS_CACERT and cacert set to ca when the listener has TLS (so the
// OpenStack clients trust it unchanged) and unset otherwise.
func updateClientFiles(dir, authURL, ca string) error {
	edit := func(name string, f func([]string) []string) error {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		lines := f(strings.Split(strings.TrimRight(string(b), "\n"), "\n"))
		out := strings.Join(lines, "\n") + "\n"
		if out == string(b) {
			return nil
		}
		return os.WriteFile(path, []byte(out), 0o600)
	}
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	yq := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	err := edit("openrc", func(in []string) []string {
		var out []string
		for _, l := range in {
			switch {
			case strings.HasPrefix(l, "export OS_CACERT="):
				continue
			case strings.HasPrefix(l, "export OS_AUTH_URL="):
				l = "export OS_AUTH_URL=" + q(authURL)
				if ca != "" {
					out = append(out, l, "export OS_CACERT="+q(ca))
					continue
				}
			}
			out = append(out, l)
		}
		return out
	})
	if err != nil {
		return err
	}
	return edit("clouds.yaml", func(in []string) []string {
		var out []string
		for _, l := range in {
			t := strings.TrimSpace(l)
			switch {
			case strings.HasPrefix(t, "cacert:"):
				continue
			case strings.HasPrefix(t, "auth_url:"):
				l = l[:len(l)-len(strings.TrimLeft(l, " "))] + "auth_url: " + yq(authURL)
			case strings.HasPrefix(t, "auth_type:") && ca != "":
				out = append(out, l[:len(l)-len(strings.TrimLeft(l, " "))]+"cacert: "+yq(ca))
			}
			out = append(out, l)
		}
		return out
	})
}
