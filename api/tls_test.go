package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newTLSCloud starts an HTTPS server that is both an identity service
// (its catalog lists itself as the container service) and a container
// service answering an empty list to a request with the token it issued.
// It returns the server and its certificate as a PEM file, to trust as a
// CA file.
func newTLSCloud(t *testing.T, clientAuth tls.ClientAuthType) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if clientAuth != tls.NoClientCert && len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "no client certificate", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/identity/v3/auth/tokens":
			w.Header().Set("X-Subject-Token", "tok")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"token": {"expires_at": "2999-01-01T00:00:00Z", "catalog": [
				{"type": "container", "endpoints": [{"interface": "public", "url": %q}]}]}}`, srv.URL+"/v1")
		case "/v1/containers":
			if r.Header.Get(AuthTokenHeader) != "tok" {
				http.Error(w, `{"errors": [{"status": 401, "title": "Unauthorized"}]}`, http.StatusUnauthorized)
				return
			}
			io.WriteString(w, `{"containers": []}`)
		default:
			http.NotFound(w, r)
		}
	})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
	srv.TLS = &tls.Config{ClientAuth: clientAuth}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writePEM(t, ca, "CERTIFICATE", srv.Certificate().Raw)
	return srv, ca
}

// selfSignedCA is the DER of a new CA certificate.
func selfSignedCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func writePEM(t *testing.T, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// listThroughLogin logs in at srv's identity with sec, finds the
// container endpoint in the catalog and lists containers there.
func listThroughLogin(srv *httptest.Server, sec *TLS) error {
	ctx := context.Background()
	pw := &Password{AuthURL: srv.URL + "/identity/v3", Username: "demo", Password: "pw", TLS: sec}
	ep, err := pw.Endpoint(ctx, "container")
	if err != nil {
		return err
	}
	c, err := NewClient(Config{Endpoint: ep, Auth: pw, TLS: sec})
	if err != nil {
		return err
	}
	_, err = c.ListContainers(ctx, ListOptions{})
	return err
}

func TestTLSTrust(t *testing.T) {
	srv, ca := newTLSCloud(t, tls.NoClientCert)
	// A CA of its own (httptest servers all share one certificate), which
	// does not sign srv's.
	wrongCA := filepath.Join(t.TempDir(), "wrong.pem")
	writePEM(t, wrongCA, "CERTIFICATE", selfSignedCA(t))

	tests := []struct {
		name     string
		sec      *TLS
		certFail bool // the login fails to verify the server's certificate
	}{
		{"the server's CA file", &TLS{CAFile: ca}, false},
		{"system roots", nil, true},
		{"empty settings: system roots", &TLS{}, true},
		{"a CA file of another server", &TLS{CAFile: wrongCA}, true},
		{"insecure", &TLS{Insecure: true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := listThroughLogin(srv, tc.sec)
			var certErr *tls.CertificateVerificationError
			switch {
			case tc.certFail && !errors.As(err, &certErr):
				t.Fatalf("err = %v, want a certificate verification error", err)
			case !tc.certFail && err != nil:
				t.Fatalf("login and list: %v", err)
			}
		})
	}
}

func TestTLSBadFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name string
		sec  TLS
		want string // in the error
	}{
		{"missing CA file", TLS{CAFile: missing}, missing},
		{"CA file without a certificate", TLS{CAFile: garbage}, garbage + ": no PEM certificate"},
		{"missing client certificate", TLS{CertFile: missing}, missing},
		{"key without a certificate", TLS{KeyFile: garbage}, "without a client certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewClient(Config{Endpoint: "https://127.0.0.1:1/v1", TLS: &tc.sec})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewClient: err = %v, want one with %q", err, tc.want)
			}
			pw := &Password{AuthURL: "https://127.0.0.1:1/identity", Username: "demo", TLS: &tc.sec}
			if _, err := pw.Token(context.Background()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("login: err = %v, want one with %q", err, tc.want)
			}
		})
	}
}

func TestTLSClientCertificate(t *testing.T) {
	srv, ca := newTLSCloud(t, tls.RequireAnyClientCert)
	// The server's own key pair serves as a client certificate: the
	// server requires one but does not verify it.
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, cert, "CERTIFICATE", srv.Certificate().Raw)
	der, err := x509.MarshalPKCS8PrivateKey(srv.TLS.Certificates[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, key, "PRIVATE KEY", der)
	both := filepath.Join(dir, "both.pem")
	certPEM, _ := os.ReadFile(cert)
	keyPEM, _ := os.ReadFile(key)
	if err := os.WriteFile(both, append(certPEM, keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		sec     TLS
		refused bool
	}{
		{"certificate and key", TLS{CAFile: ca, CertFile: cert, KeyFile: key}, false},
		{"key in the certificate file", TLS{CAFile: ca, CertFile: both}, false},
		{"no certificate", TLS{CAFile: ca}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := listThroughLogin(srv, &tc.sec)
			if tc.refused != (err != nil) {
				t.Fatalf("err = %v, want refused %v", err, tc.refused)
			}
		})
	}
}
