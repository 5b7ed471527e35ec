package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		level   slog.Level
		wantErr bool
		want    string // the info line as written; "" none
	}{
		{name: "text", format: "text", level: slog.LevelInfo, want: "level=INFO msg=hello request_id=req-1\n"},
		{name: "default is text", format: "", level: slog.LevelInfo, want: "level=INFO msg=hello request_id=req-1\n"},
		{name: "json", format: "json", level: slog.LevelInfo, want: `{"level":"INFO","msg":"hello","request_id":"req-1"}`},
		{name: "warn drops info", format: "json", level: slog.LevelWarn},
		{name: "unknown format", format: "xml", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			log, err := newLogger(&out, tt.format, tt.level)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			log.Info("hello", "request_id", "req-1")
			got := out.String()
			if tt.want == "" {
				if got != "" {
					t.Fatalf("logged %q", got)
				}
				return
			}
			// Drop the time, which the test cannot know.
			if tt.format == "json" {
				var rec map[string]any
				if err := json.Unmarshal([]byte(got), &rec); err != nil {
					t.Fatalf("not JSON: %q", got)
				}
				delete(rec, "time")
				b, _ := json.Marshal(rec)
				got = string(b)
			} else {
				_, got, _ = strings.Cut(got, " ")
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
