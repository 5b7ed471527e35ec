package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// TLS says which servers a client trusts and which certificate it
// presents, as the OS_CACERT, OS_CERT, OS_KEY and OS_INSECURE settings
// (cacert, cert, key and verify in clouds.yaml) of the OpenStack clients
// do. The zero value trusts the system's roots and presents nothing.
type TLS struct {
	// CAFile is a PEM bundle of the certificates trusted as roots, in
	// place of the system's (as the OpenStack clients use OS_CACERT);
	// empty: the system's roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key,
	// presented to a server that asks for one; KeyFile empty means the
	// key is in CertFile too.
	CertFile, KeyFile string
	// Insecure accepts any server certificate: the connection is
	// encrypted but the server is not authenticated. For development only.
	Insecure bool
}

// ClientConfig loads the files of t into a TLS configuration. An
// unreadable file, or one without a PEM certificate, is an error naming
// the file.
func (t TLS) ClientConfig() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.Insecure}
	if t.CAFile != "" {
		b, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", t.CAFile)
		}
		c.RootCAs = pool
	}
	switch {
	case t.CertFile != "":
		key := t.KeyFile
		if key == "" {
			key = t.CertFile
		}
		cert, err := tls.LoadX509KeyPair(t.CertFile, key)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s (key %s): %w", t.CertFile, key, err)
		}
		c.Certificates = []tls.Certificate{cert}
	case t.KeyFile != "":
		return nil, errors.New("client key " + t.KeyFile + " without a client certificate")
	}
	return c, nil
}

// Transport is an HTTP transport like http.DefaultTransport (proxies from
// the environment, keep-alives) with the TLS configuration of t. Share one
// between the identity login and the API clients of a program so that
// they reuse connections.
func (t TLS) Transport() (*http.Transport, error) {
	tc, err := t.ClientConfig()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return tr, nil
}

// httpClient is the client of a Config or Password without an HTTPClient
// of its own: http.DefaultClient's transport unless t is set.
func (t *TLS) httpClient() (*http.Client, error) {
	if t == nil {
		return &http.Client{}, nil
	}
	tr, err := t.Transport()
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: tr}, nil
}
