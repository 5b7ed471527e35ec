package fake

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// logStream is stdout or stderr.
type logStream int

const (
	stdout logStream = iota + 1
	stderr
)

// logLine is one line a container wrote, with its newline if it had one.
type logLine struct {
	stream logStream
	text   string
	at     time.Time
}

// timeFormat is the engine's timestamp format: RFC 3339, nanoseconds.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// appendLog adds text to c's logs, a line at a time; d.mu is held.
func (c *ctr) appendLog(s logStream, text string) {
	now := time.Now()
	for text != "" {
		line, rest, found := strings.Cut(text, "\n")
		if found {
			line += "\n"
		}
		c.logs = append(c.logs, logLine{stream: s, text: line, at: now})
		text = rest
	}
	c.notify()
}

// WriteLog adds text to the logs of container id, on stream "stdout" or
// "stderr".
func (d *Driver) WriteLog(id, stream, text string) error {
	s := map[string]logStream{"stdout": stdout, "stderr": stderr}[stream]
	if s == 0 {
		return errdefs.Invalidf("write log of container %q: unknown stream %q", id, stream)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return err
	}
	c.appendLog(s, text)
	return nil
}

// Logs returns what the container wrote, as the Docker driver does. With
// opts.Follow the reader stays open until the container stops or is
// removed, ctx ends or the reader is closed.
func (d *Driver) Logs(ctx context.Context, id string, opts driver.LogOptions) (io.ReadCloser, error) {
	if !opts.Stdout && !opts.Stderr {
		return nil, errdefs.Invalidf("logs of container %q: choose stdout, stderr or both", id)
	}
	tail := -1
	if opts.Tail != "" && opts.Tail != "all" {
		n, err := strconv.Atoi(opts.Tail)
		if err != nil || n < 0 {
			return nil, errdefs.Invalidf("logs of container %q: invalid tail %q", id, opts.Tail)
		}
		tail = n
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return nil, err
	}
	first := render(opts, tail, c.logs)
	if !opts.Follow || !c.running() {
		return io.NopCloser(strings.NewReader(first)), nil
	}
	pr, pw := io.Pipe()
	r := &follower{PipeReader: pr, done: make(chan struct{})}
	go d.follow(ctx, c, len(c.logs), opts, first, pw, r.done)
	return r, nil
}

// render is the text of lines that opts select, only the last tail of
// them if tail >= 0.
func render(opts driver.LogOptions, tail int, lines []logLine) string {
	var picked []logLine
	for _, l := range lines {
		if (l.stream == stdout && !opts.Stdout) || (l.stream == stderr && !opts.Stderr) || l.at.Before(opts.Since) {
			continue
		}
		picked = append(picked, l)
	}
	if tail >= 0 && tail < len(picked) {
		picked = picked[len(picked)-tail:]
	}
	var b strings.Builder
	for _, l := range picked {
		if opts.Timestamps {
			b.WriteString(l.at.UTC().Format(timeFormat) + " ")
		}
		b.WriteString(l.text)
	}
	return b.String()
}

// follow writes text, then the lines c writes from index pos on, to w
// until c stops, ctx ends or done is closed.
func (d *Driver) follow(ctx context.Context, c *ctr, pos int, opts driver.LogOptions, text string, w *io.PipeWriter, done <-chan struct{}) {
	for {
		if _, err := io.WriteString(w, text); err != nil {
			return // the reader is closed
		}
		d.mu.Lock()
		text = render(opts, -1, c.logs[pos:])
		pos = len(c.logs)
		var wait chan struct{}
		if c.running() && text == "" {
			if c.changed == nil {
				c.changed = make(chan struct{})
			}
			wait = c.changed
		}
		stopped := !c.running()
		d.mu.Unlock()
		if stopped {
			io.WriteString(w, text)
			w.Close()
			return
		}
		if wait == nil {
			continue // write the new text first
		}
		select {
		case <-wait:
		case <-ctx.Done():
			w.CloseWithError(ctx.Err())
			return
		case <-done:
			return
		}
	}
}

// follower is the reader of a followed log.
type follower struct {
	*io.PipeReader
	once sync.Once
	done chan struct{}
}

func (f *follower) Close() error {
	f.once.Do(func() { close(f.done) })
	return f.PipeReader.Close()
}

// Interface guards
var _ driver.Logger = (*Driver)(nil)
