package httpserve

import (
	"bytes"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func TestDevTLSReused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, made, err := DevTLS(dir, []string{"localhost", "127.0.0.1"})
	if err != nil || !made {
		t.Fatalf("first start: made %v, %v", made, err)
	}
	ca, _ := os.ReadFile(first.CA)
	cert, _ := os.ReadFile(first.Cert)
	tests := []struct {
		name     string
		hosts    []string
		wantMade bool
	}{
		{"same hosts: reused", []string{"localhost", "127.0.0.1"}, false},
		{"fewer hosts: reused", []string{"127.0.0.1"}, false},
		{"a new host: reissued by the same CA", []string{"localhost", "127.0.0.1", "node-1"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, made, err := DevTLS(dir, tc.hosts)
			if err != nil {
				t.Fatal(err)
			}
			if made != tc.wantMade {
				t.Fatalf("made %v, want %v", made, tc.wantMade)
			}
			if b, _ := os.ReadFile(got.CA); !bytes.Equal(b, ca) {
				t.Fatal("the CA changed: clients' OS_CACERT would no longer trust the server")
			}
			if b, _ := os.ReadFile(got.Cert); bytes.Equal(b, cert) == tc.wantMade {
				t.Fatalf("certificate rewritten %v, want %v", !bytes.Equal(b, cert), tc.wantMade)
			}
			cert, _ = os.ReadFile(got.Cert)
		})
	}
}

// pki is a deployment's CA and server identity, and a stranger CA.
type pki struct {
	server, good, stranger, none TLS // none: trusts the CA, no certificate
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	server, _, err := DevTLS(filepath.Join(dir, "ca"), []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := LoadOrCreateCA(filepath.Join(dir, "ca"), "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadOrCreateCA(filepath.Join(dir, "other"), "another CA")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(ca *CA, name string) TLS {
		c := TLS{Cert: filepath.Join(dir, name+".pem"), Key: filepath.Join(dir, name+"-key.pem"), CA: server.CA}
		if _, err := ca.Issue(c.Cert, c.Key, []string{name}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	return pki{server: server, good: issue(ca, "agent-1"), stranger: issue(other, "agent-2"), none: TLS{CA: server.CA}}
}

func serveTLS(t *testing.T, server TLS, requireClient bool, h http.Handler) string {
	t.Helper()
	tc, err := server.ServerConfig(requireClient)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := Default().Serve(ln, h, tc)
	t.Cleanup(func() { srv.Close() })
	return "https://" + ln.Addr().String()
}

func get(t *testing.T, client TLS, url string) (int, error) {
	t.Helper()
	hc, err := client.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer hc.CloseIdleConnections()
	res, err := hc.Get(url)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// TestMutualTLS: the agent API's two listeners. The control plane's
// serves clients without certificates too, its agent API only to agents
// with a certificate of the CA; an agent's serves only the control plane.
func TestMutualTLS(t *testing.T) {
	const refused = -1
	t.Parallel()
	p := newPKI(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("/internal/", RequireClientCert(ok))
	mux.Handle("/", ok)
	controlPlane := serveTLS(t, p.server, false, mux)
	agent := serveTLS(t, p.server, true, ok)
	tests := []struct {
		name   string
		client TLS
		url    string
		want   int // 0: the handshake fails; refused: that or 403
	}{
		{"public API, no certificate", p.none, controlPlane + "/v1", 200},
		{"public API, untrusted server", TLS{}, controlPlane + "/v1", 0},
		{"agent API, the CA's certificate", p.good, controlPlane + "/internal/v1", 200},
		{"agent API, no certificate", p.none, controlPlane + "/internal/v1", 403},
		// (Go's client does not even send a certificate of a CA the
		// server does not name: 403; another client's is refused in
		// the handshake.)
		{"agent API, another CA's certificate", p.stranger, controlPlane + "/internal/v1", refused},
		{"agent's listener, the CA's certificate", p.good, agent + "/host/v1", 200},
		{"agent's listener, no certificate", p.none, agent + "/host/v1", 0},
		{"agent's listener, another CA's certificate", p.stranger, agent + "/host/v1", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := get(t, tc.client, tc.url)
			if tc.want == refused && (err != nil || got == http.StatusForbidden) {
				return
			}
			if tc.want == 0 {
				if err == nil {
					t.Fatalf("status %d, want a failed handshake", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("status %d (%v), want %d", got, err, tc.want)
			}
		})
	}
}

// TestStrangerCertificateRefused: a client that sends another CA's
// certificate although the server names its own fails the handshake.
func TestStrangerCertificateRefused(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	url := serveTLS(t, p.server, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tc, err := p.stranger.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cert := tc.Certificates[0]
	tc.Certificates = nil
	tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
	defer hc.CloseIdleConnections()
	res, err := hc.Get(url + "/internal/v1")
	if err == nil {
		res.Body.Close()
		t.Fatalf("status %d with another CA's certificate, want a failed handshake", res.StatusCode)
	}
}
