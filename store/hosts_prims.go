package store

import "log/slog"

// Logger is the store's own logger, for domain stores' background work
// (their watch-fed copies losing and reloading a watch).
func (db *DB) Logger() *slog.Logger { return db.log }
