package drivertest

import (
	"bufio"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/errdefs"
)

func testLogs(t *testing.T, e *env) {
	l := implements[driver.Logger](t, e.d)
	mixed := e.run(e.exiter(0, "out1\nout2\n", "err1\n"))
	// Docker tails the lines of both streams, then picks the streams asked
	// for; tail is tested on a container that writes stdout only.
	tailed := e.run(e.exiter(0, "a\nb\nc\n", ""))
	e.waitStatus(mixed, driver.StatusExited)
	e.waitStatus(tailed, driver.StatusExited)

	read := func(id string, opts driver.LogOptions) string {
		t.Helper()
		rc, err := l.Logs(e.ctx, id, opts)
		if err != nil {
			t.Fatalf("logs %+v: %v", opts, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("logs %+v: read: %v", opts, err)
		}
		return string(b)
	}
	both := driver.LogOptions{Stdout: true, Stderr: true}
	withTail := func(tail string) driver.LogOptions { o := both; o.Tail = tail; return o }
	for _, tc := range []struct {
		name string
		id   string
		opts driver.LogOptions
		want string
	}{
		{"stdout", mixed, driver.LogOptions{Stdout: true}, "out1\nout2\n"},
		{"stderr", mixed, driver.LogOptions{Stderr: true}, "err1\n"},
		{"since later", mixed, driver.LogOptions{Stdout: true, Stderr: true, Since: time.Now().Add(time.Hour)}, ""},
		{"tail 2", tailed, withTail("2"), "b\nc\n"},
		{"tail 0", tailed, withTail("0"), ""},
		{"tail all", tailed, withTail("all"), "a\nb\nc\n"},
		{"no tail", tailed, withTail(""), "a\nb\nc\n"},
	} {
		if got := read(tc.id, tc.opts); got != tc.want {
			t.Fatalf("logs %s: got %q, want %q", tc.name, got, tc.want)
		}
	}

	// Both streams interleave; their relative order is the runtime's.
	all := lines(read(mixed, both))
	slices.Sort(all)
	if want := []string{"err1", "out1", "out2"}; !slices.Equal(all, want) {
		t.Fatalf("logs of both streams: got lines %q, want %q", all, want)
	}

	stamped := lines(read(mixed, driver.LogOptions{Stdout: true, Timestamps: true}))
	want := []string{"out1", "out2"}
	if len(stamped) != len(want) {
		t.Fatalf("logs with timestamps: got %q, want %d lines", stamped, len(want))
	}
	for i, line := range stamped {
		ts, text, _ := strings.Cut(line, " ")
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || text != want[i] {
			t.Fatalf("logs with timestamps: got line %q, want a timestamp and %q (%v)", line, want[i], err)
		}
	}

	_, err := l.Logs(e.ctx, mixed, driver.LogOptions{})
	wantKind(t, "logs of neither stream", err, errdefs.ErrInvalid)

	t.Run("follow", func(t *testing.T) { testFollow(t, e.sub(t), l) })
}

// testFollow follows the logs of a running container until it stops.
func testFollow(t *testing.T, e *env, l driver.Logger) {
	id := e.run(e.spec([]string{"sh", "-c", "echo ready; trap 'exit 0' TERM; sleep 3600 & wait"},
		map[string]string{fake.LabelStdout: "ready\n"}))
	rc, err := l.Logs(e.ctx, id, driver.LogOptions{Stdout: true, Follow: true})
	if err != nil {
		t.Fatalf("follow logs: %v", err)
	}
	defer rc.Close()

	type result struct {
		text string
		err  error
	}
	got := make(chan result, 2)
	go func() {
		r := bufio.NewReader(rc)
		first, err := r.ReadString('\n')
		got <- result{first, err}
		rest, err := io.ReadAll(r)
		got <- result{string(rest), err}
	}()
	next := func(what string) result {
		t.Helper()
		select {
		case res := <-got:
			return res
		case <-time.After(waitTimeout):
			t.Fatalf("follow logs: no %s within %v", what, waitTimeout)
		}
		return result{}
	}
	if res := next("first line"); res.text != "ready\n" || res.err != nil {
		t.Fatalf("follow logs: got first line %q (%v), want %q", res.text, res.err, "ready\n")
	}
	if err := e.d.Stop(e.ctx, id, 10*time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if res := next("end of stream after stop"); res.text != "" || res.err != nil {
		t.Fatalf("follow logs after stop: got %q (%v), want the end of the stream", res.text, res.err)
	}
}
