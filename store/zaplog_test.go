package store

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"go.uber.org/zap"
)

func TestZapToSlog(t *testing.T) {
	tests := []struct {
		name      string
		level     slog.Level
		log       func(*zap.Logger)
		wantLevel string // "" nothing logged
	}{
		{name: "warning", level: slog.LevelInfo, log: func(l *zap.Logger) { l.Warn("retrying", zap.String("endpoint", "e1")) }, wantLevel: "WARN"},
		{name: "error", level: slog.LevelInfo, log: func(l *zap.Logger) { l.Error("retrying", zap.String("endpoint", "e1")) }, wantLevel: "ERROR"},
		{name: "etcd's info is chatter", level: slog.LevelDebug, log: func(l *zap.Logger) { l.Info("retrying") }},
		{name: "warning below the level", level: slog.LevelError, log: func(l *zap.Logger) { l.Warn("retrying") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			l := zapToSlog(slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: tt.level})))
			tt.log(l.Named("etcd-client").With(zap.Int("attempt", 2)))
			if tt.wantLevel == "" {
				if out.Len() != 0 {
					t.Fatalf("logged %q", out.String())
				}
				return
			}
			var rec map[string]any
			if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
				t.Fatalf("%v: %q", err, out.String())
			}
			want := map[string]any{"level": tt.wantLevel, "msg": "retrying", "endpoint": "e1", "attempt": float64(2), "logger": "etcd-client"}
			for k, v := range want {
				if rec[k] != v {
					t.Errorf("%s = %v, want %v; line %v", k, rec[k], v, rec)
				}
			}
		})
	}
}
