package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Slow clients against the built zund: connections that send their
// headers a byte a second, and bodies slower than the minimum rate
// (internal/httpserve), while a normal client lists containers.

// slowKind is how a slow connection is slow.
type slowKind int

const (
	slowHeaders slowKind = iota // a request's headers, a byte a second
	slowBody                    // headers at once, then a body at 5 B/s
)

// slowConn opens one slow connection to addr and holds it until the
// server drops it or ctx ends; it returns how long the connection lived
// and whether the server was the one to drop it. It counts itself in
// open while connected.
func slowConn(ctx context.Context, addr, token string, kind slowKind, open *atomic.Int64) (time.Duration, bool, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, false, err
	}
	defer conn.Close()
	open.Add(1)
	defer open.Add(-1)
	start := time.Now()
	closed := make(chan struct{})
	go func() { // the server's answer, if any, then its close
		_, _ = io.Copy(io.Discard, conn)
		close(closed)
	}()
	var rest string
	interval := time.Second
	switch kind {
	case slowHeaders:
		rest = "GET /v1/containers HTTP/1.1\r\nHost: " + addr + "\r\nX-Auth-Token: " + token + "\r\n\r\n"
	case slowBody:
		head := "POST /v1/containers HTTP/1.1\r\nHost: " + addr + "\r\nX-Auth-Token: " + token +
			"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
		if _, err := io.WriteString(conn, head); err != nil {
			return 0, false, err
		}
		rest = `{"image": "` + strings.Repeat("a", 100000)
		interval = 200 * time.Millisecond
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := 0; ; i++ {
		if i < len(rest) {
			_, _ = conn.Write([]byte{rest[i]}) // a failed write: the close is coming
		}
		select {
		case <-closed:
			return time.Since(start), true, nil
		case <-ctx.Done():
			return time.Since(start), false, nil
		case <-tick.C:
		}
	}
}

// listLatencies lists containers, one call after the other on one
// kept-alive connection, while more(calls so far) holds, and returns each
// call's latency; any answer but 200 is an error.
func listLatencies(ctx context.Context, url, token string, more func(int) bool) ([]time.Duration, error) {
	var out []time.Duration
	hc := &http.Client{Timeout: 10 * time.Second}
	for more(len(out)) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/containers", nil)
		req.Header.Set("X-Auth-Token", token)
		start := time.Now()
		res, err := hc.Do(req)
		if err != nil {
			return out, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return out, fmt.Errorf("list: status %d", res.StatusCode)
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// TestSlowClients holds 500 connections sending headers a byte a second
// and 50 sending a body slower than the minimum rate against a zund with
// shortened bounds; a normal client's list answers meanwhile, and each
// slow connection is dropped by its own timeout.
func TestSlowClients(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tier skipped in -short mode")
	}
	const timeout = 2 * time.Second
	d := startZund(t, "", "--no-compute",
		"--http-header-timeout", timeout.String(), "--http-rate-window", timeout.String(), "--http-min-rate", "1024")
	token := d.adminToken(t)
	addr := strings.TrimPrefix(d.URL, "http://")

	tests := []struct {
		name  string
		kind  slowKind
		count int
	}{
		{"headers a byte a second", slowHeaders, 500},
		{"body below the minimum rate", slowBody, 50},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	type result struct {
		lived   time.Duration
		dropped bool
		err     error
	}
	results := make([][]result, len(tests))
	var wg sync.WaitGroup
	var open atomic.Int64
	for i, tc := range tests {
		results[i] = make([]result, tc.count)
		for j := range tc.count {
			wg.Go(func() {
				lived, dropped, err := slowConn(ctx, addr, token, tc.kind, &open)
				results[i][j] = result{lived, dropped, err}
			})
		}
	}
	// The normal client, once they are all held.
	if !poll(10*time.Second, func() bool { return open.Load() == 550 }) {
		t.Fatalf("%d slow connections open, want 550", open.Load())
	}
	lat, err := listLatencies(ctx, d.URL, token, func(n int) bool { return n < 20 })
	if err != nil {
		t.Fatalf("a normal client's list under slow clients: %v", err)
	}
	wg.Wait()
	t.Logf("normal client under load: p50 %v, max %v", percentile(lat, 0.5), percentile(lat, 1))
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lives []time.Duration
			for j, r := range results[i] {
				switch {
				case r.err != nil:
					t.Fatalf("connection %d: %v", j, r.err)
				case !r.dropped:
					t.Fatalf("connection %d still open after %v", j, r.lived)
				case r.lived < timeout/2 || r.lived > timeout+3*time.Second:
					t.Fatalf("connection %d dropped after %v, want about %v", j, r.lived, timeout)
				}
				lives = append(lives, r.lived)
			}
			t.Logf("%d connections dropped after %v to %v", tc.count, percentile(lives, 0), percentile(lives, 1))
		})
	}
}

// TestSlowClientsLatency is `make bench`'s measure of a normal client
// under slow clients, with zund's default bounds: 500 connections
// sending headers a byte a second and 50 sending bodies below the minimum
// rate, each replaced when dropped (so the window sees them dropped by
// their timeouts and come back), while one client lists containers for
// 20 s. It prints a table; run by scripts/bench.sh
// (ZUN_BENCH_SLOW_CLIENTS=1).
func TestSlowClientsLatency(t *testing.T) {
	if os.Getenv("ZUN_BENCH_SLOW_CLIENTS") == "" {
		t.Skip("a benchmark: set ZUN_BENCH_SLOW_CLIENTS=1 (make bench)")
	}
	d := startZund(t, "", "--no-compute")
	token := d.adminToken(t)
	addr := strings.TrimPrefix(d.URL, "http://")
	const window = 20 * time.Second
	measure := func(headers, bodies int) []time.Duration {
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		var open atomic.Int64
		for i := range headers + bodies {
			kind := slowHeaders
			if i >= headers {
				kind = slowBody
			}
			wg.Go(func() {
				for ctx.Err() == nil {
					if _, _, err := slowConn(ctx, addr, token, kind, &open); err != nil {
						return
					}
				}
			})
		}
		if !poll(10*time.Second, func() bool { return open.Load() == int64(headers+bodies) }) {
			t.Fatalf("%d slow connections open, want %d", open.Load(), headers+bodies)
		}
		end := time.Now().Add(window)
		lat, err := listLatencies(t.Context(), d.URL, token, func(int) bool { return time.Now().Before(end) })
		cancel()
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		return lat
	}
	fmt.Printf("\n%-52s %8s %10s %10s %10s\n", "GET /v1/containers (empty list)", "calls", "p50", "p99", "max")
	for _, load := range []struct {
		name            string
		headers, bodies int
	}{
		{"alone", 0, 0},
		{"500 slow headers + 50 slow bodies", 500, 50},
	} {
		lat := measure(load.headers, load.bodies)
		fmt.Printf("%-52s %8d %10s %10s %10s\n", load.name, len(lat),
			percentile(lat, 0.5).Round(10*time.Microsecond), percentile(lat, 0.99).Round(10*time.Microsecond),
			percentile(lat, 1).Round(10*time.Microsecond))
	}
}
