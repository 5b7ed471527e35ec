// Package logtest collects a logger's JSON lines for tests that check what
// a component logs and with which ids.
package logtest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Buffer holds the lines a logger from New wrote; safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// New returns a JSON logger at level and the buffer it writes to.
func New(level slog.Level) (*slog.Logger, *Buffer) {
	b := &Buffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: level})), b
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// Records returns the lines written so far, decoded.
func (b *Buffer) Records(t testing.TB) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var recs []map[string]any
	for line := range strings.Lines(b.b.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		recs = append(recs, rec)
	}
	return recs
}

// Find returns the last line with message msg, failing the test if none.
func (b *Buffer) Find(t testing.TB, msg string) map[string]any {
	t.Helper()
	recs := b.Records(t)
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i]["msg"] == msg {
			return recs[i]
		}
	}
	t.Fatalf("no log line %q in %v", msg, recs)
	return nil
}

// Has fails the test unless rec has every field of want.
func Has(t testing.TB, rec map[string]any, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got, _ := rec[k].(string); got != v {
			t.Errorf("log field %s = %v, want %q; line %v", k, rec[k], v, rec)
		}
	}
}
