package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/logctx"
)

// DB is a connection to the etcd that holds the state: an embedded member
// this process runs, or an external cluster.
type DB struct {
	cfg       Config
	etcd      *embed.Etcd // nil with an external cluster
	lock      *os.File    // held on DataDir while the member runs
	client    *clientv3.Client
	endpoints []string
	log       *slog.Logger

	// ctx ends the background work of the stores built on the DB.
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// Open connects to etcd as cfg says, starting the embedded member when no
// Endpoints are given. An embedded member reopening a DataDir after a crash
// replays its log and recovers every acknowledged write.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = logctx.FromContext(ctx)
	}
	db := &DB{cfg: cfg, endpoints: cfg.Endpoints, log: cfg.Logger.With("component", "store")}
	ccfg := clientv3.Config{DialTimeout: cfg.DialTimeout}
	if len(cfg.Endpoints) == 0 {
		lock, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		e, err := startEmbedded(ctx, cfg)
		if err != nil {
			lock.Close()
			return nil, err
		}
		db.etcd, db.lock = e, lock
		db.endpoints = []string{clientEndpoint(cfg.ClientURL, e)}
		ccfg.Logger = e.GetLogger()
		db.log.Info("embedded etcd ready", "data_dir", cfg.DataDir, "endpoint", db.endpoints[0], "etcd_log", cfg.LogFile)
	}
	if ccfg.Logger == nil {
		// The client of an external cluster logs with the process.
		ccfg.Logger = zapToSlog(db.log.With("etcd", "client"))
	}
	ccfg.Endpoints = db.endpoints
	client, err := clientv3.New(ccfg)
	if err == nil {
		// The client connects lazily; fail now rather than on first use.
		cctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
		_, err = client.Get(cctx, cfg.Prefix, clientv3.WithCountOnly())
		cancel()
		if err != nil {
			client.Close()
		}
	}
	if err != nil {
		if db.etcd != nil {
			db.etcd.Close()
			db.lock.Close()
		}
		return nil, errdefs.Unavailablef("connect to etcd at %v: %w", db.endpoints, err)
	}
	db.client = client
	if db.etcd == nil {
		db.log.Info("connected to etcd", "endpoints", db.endpoints)
	}
	db.ctx, db.cancel = context.WithCancel(context.Background())
	return db, nil
}

// lockDataDir takes an exclusive lock on dir, so that a second process
// fails at once instead of hanging on etcd's files or taking over the
// running member's sockets. The kernel drops the lock when the process
// dies, however it dies.
func lockDataDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "etcd.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, errdefs.Unavailablef("data dir %s is in use by another process: %w", dir, err)
	}
	return f, nil
}

// startEmbedded starts the embedded member and waits until it serves.
func startEmbedded(ctx context.Context, cfg Config) (*embed.Etcd, error) {
	dir := filepath.Join(cfg.DataDir, "etcd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded etcd: %w", err)
	}
	ec := embed.NewConfig()
	ec.Name = "zun"
	ec.Dir = dir
	ec.LogLevel = etcdLogLevel(cfg.Logger)
	ec.LogOutputs = []string{cfg.LogFile}
	client, err := url.Parse(cfg.ClientURL)
	if err != nil {
		return nil, err
	}
	peer, err := url.Parse(cfg.PeerURL)
	if err != nil {
		return nil, err
	}
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.EnableGRPCGateway = false
	ec.AutoCompactionMode = embed.CompactorModePeriodic
	ec.AutoCompactionRetention = cfg.CompactionRetention.String()
	ec.UnsafeNoFsync = cfg.UnsafeNoFsync

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("embedded etcd in %s (log: %s): %w", dir, cfg.LogFile, err)
	}
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err = <-e.Err():
	case <-timer.C:
		err = fmt.Errorf("not ready after %v", cfg.StartTimeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	e.Close()
	return nil, fmt.Errorf("embedded etcd in %s (log: %s): %w", dir, cfg.LogFile, err)
}

// etcdLogLevel is the embedded member's log level for the store's logger:
// etcd's info log is its own chatter (raft, snapshots), so info and warn
// both give its warnings.
func etcdLogLevel(l *slog.Logger) string {
	ctx := context.Background()
	switch {
	case l.Enabled(ctx, slog.LevelDebug):
		return "debug"
	case !l.Enabled(ctx, slog.LevelWarn):
		return "error"
	}
	return "warn"
}

// clientEndpoint is the address clients reach the embedded member at: its
// socket, or the port it picked when asked for port 0.
func clientEndpoint(clientURL string, e *embed.Etcd) string {
	u, err := url.Parse(clientURL)
	if err != nil || u.Scheme == "unix" || len(e.Clients) == 0 {
		return clientURL
	}
	return u.Scheme + "://" + e.Clients[0].Addr().String()
}

// Endpoints returns the client URLs of the etcd in use, for etcdctl or for
// another process to Open with Config.Endpoints.
func (db *DB) Endpoints() []string { return append([]string(nil), db.endpoints...) }

// Close stops the stores' background work, disconnects and stops the
// embedded member. It is safe to call more than once.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	db.cancel()
	db.mu.Unlock()
	db.wg.Wait()
	err := db.client.Close()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if db.etcd != nil {
		db.etcd.Close()
		db.lock.Close()
	}
	return err
}

// Go runs f in the background until Close, which waits for it; f must
// return once its ctx ends. Domain stores keep their watch-fed copies with it.
func (db *DB) Go(f func(ctx context.Context)) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return
	}
	db.wg.Add(1)
	go func() {
		defer db.wg.Done()
		f(db.ctx)
	}()
}

// logFor is the logger of a call: the request's, with its ids, when ctx
// carries one (logctx), else the store's.
func (db *DB) logFor(ctx context.Context) *slog.Logger {
	if l, ok := logctx.Lookup(ctx); ok {
		return l.With("component", "store")
	}
	return db.log
}

// key is the absolute etcd key of a key relative to the prefix.
func (db *DB) key(rel string) string { return db.cfg.Prefix + "/" + rel }

// rel is the key relative to the prefix of an absolute etcd key.
func (db *DB) rel(key []byte) string { return string(key[len(db.cfg.Prefix)+1:]) }

// Revision returns the store's current revision: it moves with every
// write, so a system at rest leaves it where it is.
func (db *DB) Revision(ctx context.Context) (int64, error) {
	res, err := db.client.Get(ctx, db.key(""), clientv3.WithCountOnly())
	if err != nil {
		return 0, unavailable(err)
	}
	return res.Header.Revision, nil
}

// ChangedSince describes the writes after revision rev up to now, one
// "PUT key@rev" or "DELETE key@rev" each (keys relative to the prefix),
// for telling what moved a revision. Writes compacted away are not
// shown.
func (db *DB) ChangedSince(ctx context.Context, rev int64) ([]string, error) {
	to, err := db.Revision(ctx)
	if err != nil || to <= rev {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var writes []string
	for res := range db.client.Watch(ctx, db.key(""), clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
		if err := res.Err(); err != nil {
			return writes, unavailable(err)
		}
		for _, ev := range res.Events {
			if ev.Kv.ModRevision > to {
				return writes, nil
			}
			writes = append(writes, fmt.Sprintf("%s %s@%d", ev.Type, db.rel(ev.Kv.Key), ev.Kv.ModRevision))
			if ev.Kv.ModRevision == to {
				return writes, nil
			}
		}
	}
	return writes, ctx.Err()
}

// Logger is the store's own logger, for domain stores' background work
// (their watch-fed copies losing and reloading a watch).
func (db *DB) Logger() *slog.Logger { return db.log }
