package httpserve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/zun-go/zun/errdefs"
)

// TLS is a process's TLS identity: its certificate and key, served on its
// listeners and presented to its peers (agents and control plane
// authenticate each other with them), and the CA its peers' certificates
// must be signed by.
type TLS struct {
	// Cert and Key are PEM files of the certificate (with its chain) and
	// its private key.
	Cert, Key string
	// CA is a PEM file of the certificates that sign peers' certificates:
	// servers this process calls, and clients that present one. Empty:
	// servers are checked against the system's roots, and clients'
	// certificates are not asked for.
	CA string
}

// ServerConfig is the TLS configuration of a listener. With a CA, a
// client that presents a certificate must present one the CA signed (the
// handshake fails otherwise); requireClient refuses clients without one.
func (t TLS) ServerConfig(requireClient bool) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, fmt.Errorf("tls certificate: %w", err)
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if t.CA != "" {
		if c.ClientCAs, err = loadPool(t.CA); err != nil {
			return nil, err
		}
		c.ClientAuth = tls.VerifyClientCertIfGiven
		if requireClient {
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return c, nil
}

// ClientConfig is the TLS configuration of calls to peers: their
// certificates checked against the CA (else the system's roots), this
// process's own certificate presented when it has one.
func (t TLS) ClientConfig() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pool, err := loadPool(t.CA)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	if t.Cert != "" {
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("tls certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// Client is an HTTP client of peers with ClientConfig (no timeout of its
// own: agent streams are long).
func (t TLS) Client() (*http.Client, error) {
	tc, err := t.ClientConfig()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{Transport: tr}, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("tls CA %s: no PEM certificate", file)
	}
	return pool, nil
}

// RequireClientCert passes on only requests whose client presented a
// certificate the listener verified (ServerConfig with a CA); others get
// 403. It guards the agent API on a listener that also serves clients
// without certificates.
func RequireClientCert(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			// The agents' wire error: its kind and status from errdefs.
			err := errdefs.Forbiddenf("a client certificate signed by the deployment's CA is required")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(errdefs.HTTPStatus(err))
			_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"kind": errdefs.Name(err), "message": err.Error()}})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// A CA signs certificates of one deployment: a development CA that
// `zund --dev --tls` makes, or one a test makes.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// File is the PEM file of its certificate (what clients trust).
	File string
}

// LoadOrCreateCA loads the CA in dir (ca.pem, ca-key.pem), creating it
// (ECDSA P-256, ten years) when absent.
func LoadOrCreateCA(dir, name string) (*CA, error) {
	certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem")
	if _, err := os.Stat(certFile); err == nil {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("CA in %s: %w", dir, err)
		}
		key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("CA in %s: not an ECDSA key", dir)
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("CA in %s: %w", dir, err)
		}
		return &CA{cert: cert, key: key, File: certFile}, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	if err := writePair(certFile, keyFile, der, key); err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key, File: certFile}, nil
}

// Issue writes a certificate the CA signs (ECDSA P-256, one year, for
// servers and clients alike) for hosts (names and IP addresses) to
// certFile and keyFile, unless one there already is signed by it, covers
// hosts and has more than 30 days left. It reports whether it wrote one.
func (ca *CA) Issue(certFile, keyFile string, hosts []string) (bool, error) {
	if ca.valid(certFile, keyFile, hosts) {
		return false, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return false, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return false, err
	}
	return true, writePair(certFile, keyFile, der, key)
}

// valid reports whether certFile holds a certificate ca signed for
// every one of hosts, valid for 30 more days, with its key in keyFile.
func (ca *CA) valid(certFile, keyFile string, hosts []string) bool {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return false
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || time.Until(cert.NotAfter) < 30*24*time.Hour || cert.CheckSignatureFrom(ca.cert) != nil {
		return false
	}
	return !slices.ContainsFunc(hosts, func(h string) bool { return cert.VerifyHostname(h) != nil })
}

func writePair(certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(errors.Join(errors.New("random serial"), err))
	}
	return n
}

// DevTLS makes (or reuses) a development CA and a server certificate
// under dir for hosts, and returns them as a TLS identity: what
// `zund --dev --tls` serves without certificate options.
func DevTLS(dir string, hosts []string) (TLS, bool, error) {
	ca, err := LoadOrCreateCA(dir, "zun development CA")
	if err != nil {
		return TLS{}, false, err
	}
	t := TLS{Cert: filepath.Join(dir, "server.pem"), Key: filepath.Join(dir, "server-key.pem"), CA: ca.File}
	made, err := ca.Issue(t.Cert, t.Key, hosts)
	return t, made, err
}
