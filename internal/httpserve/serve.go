package httpserve

import (
	"crypto/tls"
	"net"
	"net/http"
)

// Serve serves h on ln with c's bounds, over TLS when tc is not nil, until
// srv is shut down; it returns the server at once, and Serve's error on
// errc.
func (c Config) Serve(ln net.Listener, h http.Handler, tc *tls.Config) (*http.Server, <-chan error) {
	srv := c.Server(h)
	ln = c.Listener(ln)
	if tc != nil {
		tc = tc.Clone()
		tc.NextProtos = []string{"http/1.1"}
		ln = tls.NewListener(ln, tc)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	return srv, errc
}
