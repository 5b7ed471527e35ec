package docker

import (
	"testing"

	"github.com/zun-go/zun/errdefs"
)

func TestParseSignal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string // want "": invalid
	}{
		{"", "SIGKILL"},
		{"SIGTERM", "SIGTERM"},
		{"TERM", "SIGTERM"},
		{"term", "SIGTERM"},
		{"sigterm", "SIGTERM"},
		{"15", "SIGTERM"},
		{" 9 ", "SIGKILL"},
		{"KILL", "SIGKILL"},
		{"SIGHUP", "SIGHUP"},
		{"IOT", "SIGABRT"},
		{"POLL", "SIGIO"},
		{"31", "SIGSYS"},
		{"34", "34"},
		{"64", "64"},
		{"RTMIN", "34"},
		{"SIGRTMIN+3", "37"},
		{"RTMAX-1", "63"},
		{"RTMAX", "64"},
		{"0", ""},
		{"-9", ""},
		{"32", ""},
		{"65", ""},
		{"RTMIN+31", ""},
		{"RTMAX-31", ""},
		{"SIGNOPE", ""},
		{"SIG", ""},
		{"KILL;rm", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSignal(tc.in)
			if tc.want == "" {
				if !errdefs.IsInvalid(err) {
					t.Fatalf("ParseSignal(%q): got %q, %v; want an invalid-argument error", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseSignal(%q): got %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}
