package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/zun-go/zun/internal/logctx"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// syncBuffer is a bytes.Buffer safe for the store's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestLogger checks that the store logs through the logger it is given
// (in its Config or Open's context) at that logger's level, and that the
// embedded member's own log follows the level.
func TestLogger(t *testing.T) {
	tests := []struct {
		name      string
		level     slog.Level
		inContext bool
		wantInfo  bool   // the store's "embedded etcd ready"
		etcdLevel string // a level etcd.log must have lines of; "" none
		etcdNot   []string
	}{
		{name: "info", level: slog.LevelInfo, wantInfo: true, etcdNot: []string{"debug", "info"}},
		{name: "warn silences info", level: slog.LevelWarn, etcdNot: []string{"debug", "info"}},
		{name: "debug", level: slog.LevelDebug, wantInfo: true, etcdLevel: "debug"},
		{name: "from the context", level: slog.LevelInfo, inContext: true, wantInfo: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer
			log := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: tt.level}))
			dir := dbtest.TempDir(t)
			cfg := store.Config{DataDir: dir, UnsafeNoFsync: true}
			ctx := context.Background()
			if tt.inContext {
				ctx = logctx.WithLogger(ctx, log)
			} else {
				cfg.Logger = log
			}
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()

			var ready map[string]any
			for line := range strings.Lines(out.String()) {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("not a JSON line: %q", line)
				}
				if rec["msg"] == "embedded etcd ready" {
					ready = rec
				}
			}
			if got := ready != nil; got != tt.wantInfo {
				t.Fatalf("info line logged = %v, want %v; log:\n%s", got, tt.wantInfo, out.String())
			}
			if ready != nil && ready["component"] != "store" {
				t.Errorf("component = %v, want store", ready["component"])
			}

			etcdLog, err := os.ReadFile(filepath.Join(dir, "etcd.log"))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			levels := map[string]bool{}
			for line := range strings.Lines(string(etcdLog)) {
				var rec struct{ Level string }
				if json.Unmarshal([]byte(line), &rec) == nil {
					levels[rec.Level] = true
				}
			}
			if tt.etcdLevel != "" && !levels[tt.etcdLevel] {
				t.Errorf("etcd.log has no %s lines; levels %v", tt.etcdLevel, levels)
			}
			for _, l := range tt.etcdNot {
				if levels[l] {
					t.Errorf("etcd.log has %s lines", l)
				}
			}
		})
	}
}

// TestLoggerOfCall checks that a record the store cannot decode is logged
// with the ids of the request that read it (its context's logger), and
// with the store's logger otherwise.
func TestLoggerOfCall(t *testing.T) {
	shared := dbtest.Open(t)
	var own syncBuffer
	db, err := store.Open(context.Background(), store.Config{Endpoints: shared.Endpoints(), Prefix: "/logcall",
		Logger: slog.New(slog.NewJSONHandler(&own, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cli, err := clientv3.New(clientv3.Config{Endpoints: shared.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.Put(context.Background(), "/logcall/things/bad", "not json"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Txn().Put("things/good", host{CPUs: 1}).Commit(context.Background()); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		inRequest bool
	}{
		{name: "in a request", inRequest: true},
		{name: "outside any", inRequest: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req syncBuffer
			ctx := context.Background()
			if tt.inRequest {
				ctx = logctx.WithLogger(ctx, slog.New(slog.NewJSONHandler(&req, nil)).With("request_id", "req-1"))
			}
			before := len(own.String())
			items, _, err := store.List[host](ctx, db, "things/")
			if err != nil || len(items) != 1 {
				t.Fatalf("list: %v %v", items, err)
			}
			got, other := req.String(), own.String()[before:]
			if !tt.inRequest {
				got, other = other, got
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(got), &rec); err != nil {
				t.Fatalf("%v: %q", err, got)
			}
			if rec["msg"] != "skip undecodable record" || rec["component"] != "store" || rec["key"] != "/logcall/things/bad" {
				t.Errorf("line %v", rec)
			}
			if id, _ := rec["request_id"].(string); (id == "req-1") != tt.inRequest {
				t.Errorf("request_id %q", id)
			}
			if other != "" {
				t.Errorf("also logged elsewhere: %q", other)
			}
		})
	}
}
