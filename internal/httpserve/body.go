package httpserve

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// bodyRate holds request bodies to MinRate: within each RateWindow a
// body must move MinRate×RateWindow bytes or end, else its read fails
// (a timeout) and the connection is closed after the answer. A body that
// ends lifts the deadline, so a handler that streams its answer
// afterwards (or works a long time before answering) is not cut.
func (c Config) bodyRate(h http.Handler) http.Handler {
	quota := max(1, c.MinRate*int64(c.RateWindow)/int64(time.Second))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			h.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(c.RateWindow)) != nil {
			h.ServeHTTP(w, r) // not a connection of a server (a test recorder)
			return
		}
		// A copy: the server's own request keeps its body, which it
		// inspects after the handler.
		r2 := r.WithContext(r.Context())
		r2.Body = &rateBody{ReadCloser: r.Body, w: w, rc: rc, window: c.RateWindow, quota: quota}
		h.ServeHTTP(w, r2)
	})
}

// rateBody is a request body held to a minimum rate by the read deadline
// of its connection, moved on once per window the body keeps up.
type rateBody struct {
	io.ReadCloser
	w      http.ResponseWriter
	rc     *http.ResponseController
	window time.Duration
	quota  int64 // bytes due per window
	got    int64 // bytes so far in this window
	done   bool
}

func (b *rateBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.done {
		return n, err
	}
	b.got += int64(n)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		// Too slow: the deadline stays (whatever the server still reads
		// of this body fails at once) and the connection is not reused.
		b.done = true
		b.w.Header().Set("Connection", "close")
	case err != nil:
		// The end: no deadline left behind for the server's background
		// read while the handler answers.
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case b.got >= b.quota:
		b.got = 0
		_ = b.rc.SetReadDeadline(time.Now().Add(b.window))
	}
	return n, err
}
