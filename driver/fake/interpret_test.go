package fake

import (
	"testing"
	"time"

	"github.com/zun-go/zun/driver"
)

func TestInterpret(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cmd  []string
		want driver.ExecResult
	}{
		{[]string{"sh", "-c", "echo hi; exit 4"}, driver.ExecResult{Output: "hi\n", ExitCode: 4}},
		{[]string{"/bin/sh", "-c", `echo "a b"; echo c >&2`}, driver.ExecResult{Output: "a b\nc\n"}},
		{[]string{"echo", "hello", "world"}, driver.ExecResult{Output: "hello world\n"}},
		{[]string{"sh", "-c", "false"}, driver.ExecResult{ExitCode: 1}},
		{[]string{"sh", "-c", "false; true"}, driver.ExecResult{}},
		{[]string{"sh", "-c", "exit 300"}, driver.ExecResult{ExitCode: 44}},
		{[]string{"ls", "-l", "/"}, driver.ExecResult{Output: "ls -l /\n"}},
		{[]string{"sh", "-c", "exit 1; echo never"}, driver.ExecResult{ExitCode: 1}},
		{[]string{"sh", "-c", "sleep x"}, driver.ExecResult{ExitCode: 1}},
	} {
		if got, lasts := interpret(tc.cmd); got != tc.want || lasts != 0 {
			t.Errorf("interpret(%q): got %+v lasting %v, want %+v at once", tc.cmd, got, lasts, tc.want)
		}
	}
	for _, tc := range []struct {
		cmd  []string
		want time.Duration
	}{
		{[]string{"sleep", "2"}, 2 * time.Second},
		{[]string{"sh", "-c", "sleep 0.5; echo hi; sleep 1 & sleep 1"}, 1500 * time.Millisecond},
		{[]string{"sh", "-c", "exit 0; sleep 9"}, 0},
	} {
		if _, lasts := interpret(tc.cmd); lasts != tc.want {
			t.Errorf("interpret(%q): lasts %v, want %v", tc.cmd, lasts, tc.want)
		}
	}
}

func TestNormalise(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"busybox":                      "busybox:latest",
		"busybox:1.36":                 "busybox:1.36",
		"zun/busybox:local":            "zun/busybox:local",
		"localhost:5000/app":           "localhost:5000/app:latest",
		"localhost:5000/app:v2":        "localhost:5000/app:v2",
		"busybox@sha256:0123456789abc": "busybox@sha256:0123456789abc",
		"":                             "",
		"Busybox":                      "",
		"bad name":                     "",
	} {
		got, err := normalise(in)
		if (want == "") != (err != nil) || got != want {
			t.Errorf("normalise(%q): got %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseSignal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{
		"": 9, "SIGKILL": 9, "KILL": 9, "kill": 9, "9": 9, "SIGTERM": 15, "TERM": 15, "15": 15,
		"HUP": 1, "40": 40, "0": 0, "32": 0, "65": 0, "SIGNOPE": 0,
	} {
		got, err := parseSignal(in)
		if (want == 0) != (err != nil) || got != want {
			t.Errorf("parseSignal(%q): got %d, %v; want %d", in, got, err, want)
		}
	}
}
