package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress tells on stderr how far a transfer (an upload, a download, a
// pull on a host) has got. On a terminal it redraws one line: a bar, the
// percentage, the sizes and the rate. Elsewhere (a log, a pipe, a test) it
// prints a plain line as each quarter of the total is reached and one at
// the end, and no rate, so that what it prints does not depend on timing.
// With an unknown total (0) it shows bytes only.
//
// It is an io.Writer that counts what is written to it, for io.TeeReader
// and io.MultiWriter; it is safe for concurrent use, as an HTTP transport
// reads a request body in a goroutine of its own.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	tty      bool
	now      func() time.Time
	start    time.Time
	done     int64
	total    int64 // 0: unknown
	started  bool  // something was counted or set
	quarters int   // plain: the quarters printed so far
	drawn    time.Time
	ended    bool
}

// redrawEvery paces the redraws on a terminal.
const redrawEvery = 100 * time.Millisecond

// newProgress starts a progress of a transfer of total bytes (0 if
// unknown), labelled "upload demo.tar" or the like.
func newProgress(w io.Writer, label string, total int64) *progress {
	return &progress{w: w, label: label, tty: isTerminal(w), now: time.Now, start: time.Now(), total: max(total, 0)}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Write counts b as transferred.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += int64(len(b))
	p.update()
	return len(b), nil
}

// Set says that done bytes of total (0: unknown) are transferred.
func (p *progress) Set(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = done, max(total, 0)
	p.update()
}

// Complete marks a transfer whose end the caller learnt otherwise (a pull
// reported Pulled) as done in full, and finishes.
func (p *progress) Complete() {
	p.mu.Lock()
	if p.started && p.total > 0 {
		p.done = p.total
	}
	p.mu.Unlock()
	p.Finish()
}

// Finish shows the final state and ends the line. Nothing is shown of a
// transfer that never reported anything.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.ended = true
	if !p.started && p.total == 0 {
		return
	}
	if p.tty {
		p.draw(p.now())
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintln(p.w, p.plainLine(p.done))
}

// Stop ends the line on a terminal without a final state, before an error
// is told; what is counted afterwards is not shown.
func (p *progress) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.ended = true
	if p.tty && !p.drawn.IsZero() {
		fmt.Fprintln(p.w)
	}
}

// update shows the new state: a redraw on a terminal, at most every
// redrawEvery; elsewhere one line for each quarter reached, with the bytes
// of that quarter, so that how the transfer was chunked does not show.
func (p *progress) update() {
	if p.ended {
		return
	}
	p.started = true
	if p.tty {
		if now := p.now(); now.Sub(p.drawn) >= redrawEvery {
			p.draw(now)
		}
		return
	}
	if p.total == 0 {
		return
	}
	for p.quarters < 3 && p.done*4 >= int64(p.quarters+1)*p.total {
		p.quarters++
		fmt.Fprintln(p.w, p.plainLine(p.total*int64(p.quarters)/4))
	}
}

// plainLine is "upload demo.tar: 25% (10.0 MiB of 40.0 MiB)", or without
// a total "upload demo.tar: 12.3 MiB".
func (p *progress) plainLine(done int64) string {
	if p.total == 0 {
		return fmt.Sprintf("%s: %s", p.label, humanBytes(done))
	}
	return fmt.Sprintf("%s: %d%% (%s of %s)", p.label, percent(done, p.total), humanBytes(done), humanBytes(p.total))
}

// The terminal line fits 80 columns: the bar between its brackets is
// barWidth wide, and a label longer than maxLabel is cut.
const (
	barWidth = 20
	maxLabel = 18
)

// draw redraws the terminal line:
// "upload demo.tar [=========>      ]  45%  18.0 MiB / 40.0 MiB  5.2 MiB/s".
func (p *progress) draw(now time.Time) {
	p.drawn = now
	label := p.label
	if r := []rune(label); len(r) > maxLabel {
		label = string(r[:maxLabel-1]) + "…"
	}
	var b strings.Builder
	b.WriteString("\r")
	b.WriteString(label)
	if p.total > 0 {
		pct := percent(p.done, p.total)
		fill := barWidth * pct / 100
		bar := strings.Repeat("=", fill)
		if fill < barWidth && fill > 0 {
			bar = bar[:fill-1] + ">"
		}
		fmt.Fprintf(&b, " [%-*s] %3d%%  %s / %s", barWidth, bar, pct, humanBytes(p.done), humanBytes(p.total))
	} else {
		fmt.Fprintf(&b, "  %s", humanBytes(p.done))
	}
	if secs := now.Sub(p.start).Seconds(); secs > 0 {
		fmt.Fprintf(&b, "  %s/s", humanBytes(int64(float64(p.done)/secs)))
	}
	b.WriteString("\x1b[K") // clear what a longer line left
	io.WriteString(p.w, b.String())
}

// percent is done of total in whole percent, at most 100.
func percent(done, total int64) int {
	if total <= 0 {
		return 0
	}
	return int(min(done*100/total, 100))
}

// humanBytes renders a size in binary units: "512 B", "12.3 MiB".
func humanBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
