package main

import (
	"fmt"
	"io"
	"log/slog"
)

// newLogger returns the process's logger: format "text" (key=value, the
// default) or "json" (one object a line, for a log collector), lines below
// level dropped. Every component is given it (or one derived from it); a
// request's lines carry request_id, project_id, user_id and container_id.
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("%q: want text or json", format)
}
