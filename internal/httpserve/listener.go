package httpserve

import (
	"net"
	"sync"
	"time"
)

// Listener returns ln bounded by c: at most MaxConns connections open at
// once (Accept waits for one to close), and every write to a client
// deadlined by the bytes it carries (RateWindow + n/MinRate), so a
// client that stops reading a response or a stream is dropped while one
// that reads it slowly but steadily is not. Reads are bounded by the
// server (ReadHeaderTimeout, IdleTimeout) and the body rate handler.
func (c Config) Listener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, c.MaxConns), cfg: c, done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	sem       chan struct{}
	cfg       Config
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	conn, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &boundedConn{Conn: conn, release: func() { <-l.sem }, cfg: l.cfg}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// boundedConn is a connection of a limitListener: it frees its slot once
// closed and deadlines each write.
type boundedConn struct {
	net.Conn
	cfg       Config
	release   func()
	closeOnce sync.Once
}

func (c *boundedConn) Write(p []byte) (int, error) {
	d := c.cfg.RateWindow + time.Duration(int64(len(p))*int64(time.Second)/c.cfg.MinRate)
	if err := c.Conn.SetWriteDeadline(time.Now().Add(d)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

func (c *boundedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(c.release)
	return err
}
