package store

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// maxSocketPath is the longest path a Unix socket may have on Linux.
const maxSocketPath = 107

// Config says where the state lives. Zero fields take their Default value.
type Config struct {
	// DataDir holds the embedded etcd member: its data in DataDir/etcd, its
	// log in DataDir/etcd.log and, by default, its sockets. Back it up with
	// `etcdctl --endpoints unix://DataDir/etcd.sock snapshot save`. Unused
	// when Endpoints is set.
	DataDir string

	// Endpoints are the client URLs of an external etcd cluster, such as
	// "http://10.0.0.11:2379". When set, no embedded member runs; several
	// API servers can share the cluster. Compaction is then the cluster
	// operator's job (etcd --auto-compaction-retention).
	Endpoints []string

	// ClientURL is where the embedded member serves etcd clients (etcdctl,
	// other zund processes via Endpoints). Default: the Unix socket
	// DataDir/etcd.sock, reachable only by users who can open DataDir. A
	// TCP URL ("http://127.0.0.1:2379") exposes every tenant's records to
	// whoever can connect, without authentication; port 0 picks a free
	// port (see DB.Endpoints).
	ClientURL string

	// PeerURL is where the embedded member listens for other members. A
	// single member never uses it. Default: the Unix socket
	// DataDir/etcd-peer.sock.
	PeerURL string

	// Prefix is put before every key, so that several deployments (or
	// tests) can share one etcd. Default "/zun".
	Prefix string

	// LogFile receives the embedded member's own log, warnings and errors
	// only. "stderr" sends it to standard error. Default DataDir/etcd.log.
	LogFile string

	// CompactionRetention is how much history the embedded member keeps.
	// Watchers that fall further behind re-read everything. Default 1h.
	CompactionRetention time.Duration

	// DialTimeout bounds connecting to etcd. Default 5s.
	DialTimeout time.Duration

	// StartTimeout bounds starting the embedded member, which replays its
	// log after a crash. Default 1m.
	StartTimeout time.Duration

	// Logger receives the store's own log (its indexes and watches losing
	// and regaining etcd, undecodable records) and, with an external
	// cluster, the etcd client's warnings. Its level also sets the
	// embedded member's: debug gives etcd's debug log, error only its
	// errors, anything else its warnings. Default: the logger carried by
	// Open's context (logctx), else none.
	Logger *slog.Logger

	// UnsafeNoFsync makes the embedded member skip fsync: a power loss can
	// lose or corrupt data. For tests only.
	UnsafeNoFsync bool
}

// Default returns the defaults. DataDir and Endpoints have none.
func Default() Config {
	return Config{
		Prefix:              "/zun",
		CompactionRetention: time.Hour,
		DialTimeout:         5 * time.Second,
		StartTimeout:        time.Minute,
	}
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	d := Default()
	if c.Prefix == "" {
		c.Prefix = d.Prefix
	}
	if c.CompactionRetention == 0 {
		c.CompactionRetention = d.CompactionRetention
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = d.DialTimeout
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = d.StartTimeout
	}
	if len(c.Endpoints) == 0 && c.DataDir != "" {
		if c.ClientURL == "" {
			c.ClientURL = "unix://" + filepath.Join(c.DataDir, "etcd.sock")
		}
		if c.PeerURL == "" {
			c.PeerURL = "unix://" + filepath.Join(c.DataDir, "etcd-peer.sock")
		}
		if c.LogFile == "" {
			c.LogFile = filepath.Join(c.DataDir, "etcd.log")
		}
	}
	return c
}

// Validate checks the configuration, with defaults applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if !strings.HasPrefix(c.Prefix, "/") || strings.HasSuffix(c.Prefix, "/") {
		errs = append(errs, fmt.Errorf("store prefix %q: want a leading and no trailing slash, like /zun", c.Prefix))
	}
	if c.CompactionRetention < 0 || c.DialTimeout < 0 || c.StartTimeout < 0 {
		errs = append(errs, errors.New("store durations must not be negative"))
	}
	if len(c.Endpoints) > 0 {
		for _, ep := range c.Endpoints {
			if strings.TrimSpace(ep) == "" {
				errs = append(errs, errors.New("etcd endpoints: empty endpoint"))
			}
		}
		return errors.Join(errs...)
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("store: a data dir (embedded etcd) or etcd endpoints are required"))
	}
	for _, u := range []struct{ name, url string }{{"client URL", c.ClientURL}, {"peer URL", c.PeerURL}} {
		if err := checkListenURL(u.url); err != nil {
			errs = append(errs, fmt.Errorf("embedded etcd %s: %w", u.name, err))
		}
	}
	return errors.Join(errs...)
}

// checkListenURL checks a URL the embedded member can listen on.
func checkListenURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "unix":
		if p := u.Host + u.Path; len(p) > maxSocketPath {
			return fmt.Errorf("socket path %q is longer than %d bytes; use a shorter data dir or a TCP URL", p, maxSocketPath)
		}
	case "http":
		if u.Port() == "" {
			return fmt.Errorf("%q: want host:port", s)
		}
	default:
		return fmt.Errorf("%q: want an http:// or unix:// URL", s)
	}
	return nil
}
