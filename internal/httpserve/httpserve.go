// Package httpserve serves zund's HTTP listeners (the API with its
// embedded services and agent API, and an agent's direct-call API) with
// bounds on what one client may cost: a header deadline, an idle
// deadline, a header size cap, a cap on open connections, and for bodies
// and responses a minimum transfer rate instead of a fixed deadline, so
// that a large image upload or a long log stream is never cut while a
// client that trickles is dropped.
//
//	listener ─► limit (MaxConns) ─► conn (write deadline per write) ─► [TLS] ─► http.Server
//	                                                                            (ReadHeaderTimeout,
//	                                                                             IdleTimeout,
//	                                                                             MaxHeaderBytes,
//	                                                                             body rate)
package httpserve

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"time"
)

// Config bounds what one client may cost a listener. Every field is an
// operator setting (flags in Flags); Default holds the defaults.
type Config struct {
	// ReadHeaderTimeout is how long a client has to send a request's
	// headers (and, with TLS, to complete the handshake) once it starts.
	ReadHeaderTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps the size of a request's headers (431 above it).
	MaxHeaderBytes int
	// MaxConns caps the connections one listener holds open at once; more
	// wait in the kernel's backlog until one closes.
	MaxConns int
	// MinRate is the slowest a body may arrive or a response be taken, in
	// bytes a second, measured over RateWindow: a request body must move
	// MinRate×RateWindow bytes (or end) within each window, and a write
	// of n bytes to a client must finish within RateWindow+n/MinRate.
	// There is no fixed deadline: a large upload or a stream of any
	// length is fine as long as it moves.
	MinRate int64
	// RateWindow is the window MinRate is measured over.
	RateWindow time.Duration
}

// Default returns the defaults.
func Default() Config {
	return Config{
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		MaxConns:          4096,
		MinRate:           1 << 10,
		RateWindow:        30 * time.Second,
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.ReadHeaderTimeout <= 0 {
		errs = append(errs, errors.New("--http-header-timeout must be positive"))
	}
	if c.IdleTimeout <= 0 {
		errs = append(errs, errors.New("--http-idle-timeout must be positive"))
	}
	if c.MaxHeaderBytes < 4<<10 {
		errs = append(errs, fmt.Errorf("--http-max-header-bytes %d: want at least 4096", c.MaxHeaderBytes))
	}
	if c.MaxConns < 1 {
		errs = append(errs, fmt.Errorf("--http-max-conns %d: want at least 1", c.MaxConns))
	}
	if c.MinRate < 1 {
		errs = append(errs, fmt.Errorf("--http-min-rate %d: want at least 1 byte a second", c.MinRate))
	}
	if c.RateWindow <= 0 {
		errs = append(errs, errors.New("--http-rate-window must be positive"))
	}
	return errors.Join(errs...)
}

// Flags registers c's fields as flags of fs (--http-...), their defaults
// c's values.
func Flags(fs *flag.FlagSet, c *Config) {
	fs.DurationVar(&c.ReadHeaderTimeout, "http-header-timeout", c.ReadHeaderTimeout, "how long a client has to send a request's headers (and finish a TLS handshake)")
	fs.DurationVar(&c.IdleTimeout, "http-idle-timeout", c.IdleTimeout, "how long a kept-alive connection may wait for its next request")
	fs.IntVar(&c.MaxHeaderBytes, "http-max-header-bytes", c.MaxHeaderBytes, "largest request headers accepted, in bytes")
	fs.IntVar(&c.MaxConns, "http-max-conns", c.MaxConns, "most connections one listener holds open at once")
	fs.Int64Var(&c.MinRate, "http-min-rate", c.MinRate, "slowest a request body may arrive or a response be read, in bytes a second over --http-rate-window")
	fs.DurationVar(&c.RateWindow, "http-rate-window", c.RateWindow, "window over which --http-min-rate is measured")
}

// Server returns a server of h with c's bounds. Serve it on a listener
// from c.Listener (or Serve does both).
func (c Config) Server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           c.bodyRate(h),
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
		// HTTP/1.1 only: every bound here is per connection.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
}
