package httpserve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// short is a configuration whose bounds a test sees pass in well under a
// second.
func short() Config {
	c := Default()
	c.ReadHeaderTimeout = 300 * time.Millisecond
	c.IdleTimeout = time.Second
	c.RateWindow = 300 * time.Millisecond
	c.MinRate = 10 << 10 // 3 KiB per window
	c.MaxConns = 16
	return c
}

// serve runs h under c on a loopback listener and returns its address.
func serve(t *testing.T, c Config, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := c.Serve(ln, h, nil)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// closedWithin reports whether the server closes conn within d (what it
// answered before closing is ignored).
func closedWithin(conn net.Conn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	// EOF (nil here) or a reset: the server closed it; a timeout: it did not.
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// trickle writes s to conn a byte every interval until stop closes or a
// write fails.
func trickle(conn net.Conn, s string, interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for i := 0; i < len(s); i++ {
		if _, err := conn.Write([]byte{s[i]}); err != nil {
			return
		}
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

func TestSlowClientsDropped(t *testing.T) {
	t.Parallel()
	c := short()
	bodyErr := make(chan error, 1)
	addr := serve(t, c, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodPost {
			bodyErr <- err
		}
	}))
	tests := []struct {
		name string
		send string // sent a byte every 50 ms (20 B/s)
	}{
		{"headers a byte at a time", "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 200) + "\r\n\r\n"},
		{"body below the minimum rate", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n" + strings.Repeat("a", 200)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, addr)
			stop := make(chan struct{})
			defer close(stop)
			if strings.HasPrefix(tc.send, "POST") { // headers at once, then the trickle
				head, body, _ := strings.Cut(tc.send, "\r\n\r\n")
				if _, err := io.WriteString(conn, head+"\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				tc.send = body
			}
			go trickle(conn, tc.send, 50*time.Millisecond, stop)
			start := time.Now()
			if !closedWithin(conn, 5*time.Second) {
				t.Fatalf("slow connection still open after %v", time.Since(start))
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("closed after %v, want about %v", d, c.RateWindow)
			}
		})
	}
	select {
	case err := <-bodyErr:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("handler's body read: %v, want a timeout", err)
		}
	default:
		t.Fatal("the slow body never reached the handler")
	}
}

func TestSteadyTransfersNotCut(t *testing.T) {
	t.Parallel()
	c := short()
	const chunk = 4 << 10 // above a window's quota
	addr := serve(t, c, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// Then a stream with pauses longer than the window.
		fmt.Fprintf(w, "got %d\n", n)
		for i := range 3 {
			w.(http.Flusher).Flush()
			time.Sleep(2 * c.RateWindow) // the handler's pace, not the test's wait
			fmt.Fprintf(w, "tick %d\n", i)
		}
	}))
	// A body of 20 chunks, one every 100 ms: 2 s in all, far beyond any
	// one window, always above the rate.
	pr, pw := io.Pipe()
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for range 20 {
			if _, err := pw.Write(make([]byte, chunk)); err != nil {
				return
			}
			<-t.C
		}
		pw.Close()
	}()
	res, err := http.Post("http://"+addr+"/", "application/octet-stream", pr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("stream cut: %v (read %q)", err, b)
	}
	if want := fmt.Sprintf("got %d\ntick 0\ntick 1\ntick 2\n", 20*chunk); string(b) != want {
		t.Fatalf("answer %q, want %q", b, want)
	}
}

func TestStalledReaderDropped(t *testing.T) {
	t.Parallel()
	c := short()
	writeErr := make(chan error, 1)
	addr := serve(t, c, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1<<10)
		for {
			if _, err := w.Write(buf); err != nil {
				writeErr <- err
				return
			}
		}
	}))
	conn := dial(t, addr)
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// The client never reads: the socket buffers fill, a write blocks
	// and its deadline ends it.
	select {
	case err := <-writeErr:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("write: %v, want a timeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a client that never reads still holds the handler")
	}
}

func TestMaxConns(t *testing.T) {
	t.Parallel()
	c := short()
	c.MaxConns = 2
	c.ReadHeaderTimeout = time.Minute // held connections stay held
	c.IdleTimeout = time.Minute
	addr := serve(t, c, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	held := []net.Conn{dial(t, addr), dial(t, addr)}
	third := dial(t, addr)
	if _, err := io.WriteString(third, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(third)
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := http.ReadResponse(br, nil); err == nil {
		t.Fatal("a third connection was served with two held and MaxConns 2")
	}
	held[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("third connection once a slot is free: %v", err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
}

func TestMaxHeaderBytes(t *testing.T) {
	t.Parallel()
	c := short()
	addr := serve(t, c, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tests := []struct {
		name string
		size int
		want int
	}{
		{"within the cap", 8 << 10, http.StatusOK},
		{"above the cap", 2 * c.MaxHeaderBytes, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
			req.Header.Set("X-Big", strings.Repeat("a", tc.size))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*Config)
		ok     bool
	}{
		{"defaults", func(*Config) {}, true},
		{"no header timeout", func(c *Config) { c.ReadHeaderTimeout = 0 }, false},
		{"no connections", func(c *Config) { c.MaxConns = 0 }, false},
		{"no rate", func(c *Config) { c.MinRate = 0 }, false},
		{"tiny headers", func(c *Config) { c.MaxHeaderBytes = 100 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.modify(&c)
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
