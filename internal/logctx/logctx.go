// Package logctx carries a request's logger in its context.
//
// The API's wrapper puts a logger with the request id in the context, adds
// the project and user once the caller is authenticated and the container
// id when a handler works on one; the code the handler calls logs through
// FromContext, so every line of one request can be found by its id. Code
// that runs outside a request (watchers, agents, elections) is given its
// logger explicitly by its constructor: nothing logs through the process
// default (slog.Default), which --log-level and --log-format do not reach.
package logctx

import (
	"context"
	"log/slog"
)

type key struct{}

// discard drops every record.
var discard = slog.New(slog.DiscardHandler)

// Discard returns a logger that drops everything, for a component built
// without one (tests).
func Discard() *slog.Logger { return discard }

// WithLogger returns ctx carrying l.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	if l == nil {
		return ctx
	}
	return context.WithValue(ctx, key{}, l)
}

// Lookup returns the logger ctx carries, if any.
func Lookup(ctx context.Context) (*slog.Logger, bool) {
	if ctx == nil {
		return nil, false
	}
	l, ok := ctx.Value(key{}).(*slog.Logger)
	return l, ok
}

// FromContext returns the logger ctx carries, or one that drops everything.
func FromContext(ctx context.Context) *slog.Logger {
	return Or(ctx, discard)
}

// Or returns the logger ctx carries, else fallback (else one that drops
// everything): a component with a logger of its own prefers the request's,
// which has the request's ids.
func Or(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := Lookup(ctx); ok {
		return l
	}
	if fallback != nil {
		return fallback
	}
	return discard
}

// With returns ctx carrying its logger with args added, and that logger.
func With(ctx context.Context, args ...any) (context.Context, *slog.Logger) {
	l := FromContext(ctx).With(args...)
	return WithLogger(ctx, l), l
}
