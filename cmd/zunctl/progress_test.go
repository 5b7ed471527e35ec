package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestProgressPlain(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name  string
		total int64
		run   func(p *progress)
		want  string
	}{
		{
			name:  "quarters whatever the chunks",
			total: 40 * mib,
			run: func(p *progress) {
				// 3 MiB, then 30 MiB at once (past 25, 50 and 75%),
				// then the rest in small writes.
				p.Write(make([]byte, 3*mib))
				p.Write(make([]byte, 30*mib))
				for range 7 {
					p.Write(make([]byte, mib))
				}
				p.Finish()
			},
			want: `upload demo.tar: 25% (10.0 MiB of 40.0 MiB)
upload demo.tar: 50% (20.0 MiB of 40.0 MiB)
upload demo.tar: 75% (30.0 MiB of 40.0 MiB)
upload demo.tar: 100% (40.0 MiB of 40.0 MiB)
`,
		},
		{
			name:  "unknown total shows bytes at the end only",
			total: 0,
			run: func(p *progress) {
				io.Copy(p, strings.NewReader(strings.Repeat("x", 1536)))
				p.Finish()
			},
			want: "upload demo.tar: 1.5 KiB\n",
		},
		{
			name:  "stopped short shows no end",
			total: 4 * mib,
			run: func(p *progress) {
				p.Write(make([]byte, 2*mib))
				p.Stop()
				p.Write(make([]byte, 2*mib)) // counted after the stop
				p.Finish()
			},
			want: `upload demo.tar: 25% (1.0 MiB of 4.0 MiB)
upload demo.tar: 50% (2.0 MiB of 4.0 MiB)
`,
		},
		{
			name:  "a total learnt on the way",
			total: 0,
			run: func(p *progress) {
				p.Set(mib, 0)
				p.Set(3*mib, 4*mib)
				p.Complete()
			},
			want: `upload demo.tar: 25% (1.0 MiB of 4.0 MiB)
upload demo.tar: 50% (2.0 MiB of 4.0 MiB)
upload demo.tar: 75% (3.0 MiB of 4.0 MiB)
upload demo.tar: 100% (4.0 MiB of 4.0 MiB)
`,
		},
		{
			name:  "a transfer that never reported shows nothing",
			total: 0,
			run:   func(p *progress) { p.Complete() },
			want:  "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			p := newProgress(&buf, "upload demo.tar", tt.total)
			tt.run(p)
			if got := buf.String(); got != tt.want {
				t.Fatalf("printed:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestProgressTerminal checks the redrawn line, with a clock that moves a
// second a call.
func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "upload demo.tar", 4<<20)
	p.tty = true
	clock := p.start
	p.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	p.Write(make([]byte, 1<<20))
	p.Write(make([]byte, 3<<20))
	p.Finish()
	want := "\rupload demo.tar [====>               ]  25%  1.0 MiB / 4.0 MiB  1.0 MiB/s\x1b[K" +
		"\rupload demo.tar [====================] 100%  4.0 MiB / 4.0 MiB  2.0 MiB/s\x1b[K" +
		"\rupload demo.tar [====================] 100%  4.0 MiB / 4.0 MiB  1.3 MiB/s\x1b[K\n"
	if got := buf.String(); got != want {
		t.Fatalf("drew %q\nwant %q", got, want)
	}

	buf.Reset()
	p = newProgress(&buf, "download 1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b", 0)
	p.tty = true
	p.now = func() time.Time { return p.start } // no time passed: no rate
	p.Write(make([]byte, 100))
	p.Write(make([]byte, 100)) // too soon to redraw
	p.Stop()
	if got, want := buf.String(), "\rdownload 1f2e3d4c…  100 B\x1b[K\n"; got != want {
		t.Fatalf("drew %q, want %q", got, want)
	}
}

func TestHumanBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {12_900_000, "12.3 MiB"}, {40 << 30, "40.0 GiB"},
	} {
		if got := humanBytes(tc.n); got != tc.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
