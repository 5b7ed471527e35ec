package schema

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/errdefs"
)

// checkQueryErr checks that err is ErrInvalid naming the parameter.
func checkQueryErr(t *testing.T, err error, param string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want an error naming %s", param)
	}
	if !errdefs.IsInvalid(err) {
		t.Fatalf("error %v is not ErrInvalid", err)
	}
	if !strings.Contains(err.Error(), "query parameter '"+param+"'") {
		t.Fatalf("error %q does not name query parameter %q", err, param)
	}
}

func TestBool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
		ok   bool
	}{
		{"true", true, true}, {"True", true, true}, {"TRUE", true, true}, {"tRuE", true, true},
		{"1", true, true}, {"t", true, true}, {"T", true, true}, {"yes", true, true}, {"Y", true, true},
		{"on", true, true}, {"On", true, true}, {" true ", true, true},
		{"false", false, true}, {"False", false, true}, {"0", false, true}, {"f", false, true},
		{"no", false, true}, {"N", false, true}, {"off", false, true}, {"OFF", false, true},
		{"", false, false}, {"2", false, false}, {"maybe", false, false}, {"truee", false, false}, {"None", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := Bool("run", tt.in)
			if !tt.ok {
				checkQueryErr(t, err, "run")
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Bool(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"0": 0, "10": 10, "007": 7, "2147483647": 2147483647} {
		if got, err := Timeout(in); err != nil || got != want {
			t.Fatalf("Timeout(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5", "ten", " 5", "+5", "2147483648", "99999999999999999999"} {
		t.Run(in, func(t *testing.T) {
			_, err := Timeout(in)
			checkQueryErr(t, err, "timeout")
		})
	}
}

func TestSignal(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""}, {"None", ""}, {"none", ""},
		{"SIGTERM", "SIGTERM"}, {"TERM", "SIGTERM"}, {"sigterm", "SIGTERM"}, {"term", "SIGTERM"}, {"Term", "SIGTERM"},
		{"SIGKILL", "SIGKILL"}, {"kill", "SIGKILL"}, {"hup", "SIGHUP"}, {"SIGUSR1", "SIGUSR1"}, {"usr2", "SIGUSR2"},
		{"SIGRTMIN", "SIGRTMIN"}, {"rtmax", "SIGRTMAX"}, {"winch", "SIGWINCH"}, {"SIGSTKFLT", "SIGSTKFLT"},
		{"9", "9"}, {"15", "15"}, {"1", "1"}, {"35", "35"}, {"64", "64"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := Signal(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("Signal(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	for _, in := range []string{"0", "65", "09", "-9", "SIG", "SIGFOO", "foo", "SIGIOT", "cld", "SIGPOLL", "SIG_DFL", "9x", " 9", "SIGTERM "} {
		t.Run("refuse "+in, func(t *testing.T) {
			t.Parallel()
			_, err := Signal(in)
			checkQueryErr(t, err, "signal")
		})
	}
}

func TestTail(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"all": "all", "0": "0", "100": "100", "0010": "10"} {
		if got, err := Tail(in); err != nil || got != want {
			t.Fatalf("Tail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ALL", "-1", "ten", "1.5", "99999999999999999999"} {
		_, err := Tail(in)
		checkQueryErr(t, err, "tail")
	}
}

func TestSince(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
	}{
		{"None", time.Time{}},
		{"0", time.Unix(0, 0).UTC()},
		{"1700000000", time.Unix(1700000000, 0).UTC()},
		{"2024-01-02 03:04:05,678", time.Date(2024, 1, 2, 3, 4, 5, 678000000, time.UTC)},
		{"2024-01-02 03:04:05,5", time.Date(2024, 1, 2, 3, 4, 5, 500000000, time.UTC)},
		{"2024-01-02 03:04:05,123456", time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := Since(tt.in)
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("Since(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	for _, in := range []string{"", "-1", "1.5", "2024-01-02 03:04:05", "2024-01-02T03:04:05,000", "2024-1-2 3:4:5,0",
		"2024-13-02 03:04:05,000", "2024-01-02 03:04:05,1234567", "2024-01-02 03:04:05,", "99999999999999", "yesterday"} {
		t.Run("refuse "+in, func(t *testing.T) {
			t.Parallel()
			_, err := Since(in)
			checkQueryErr(t, err, "since")
		})
	}
}

func TestLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		max  int
		want int
	}{
		{"", 1000, 1000}, {"1", 1000, 1}, {"50", 1000, 50}, {"1000", 1000, 1000}, {"5000", 1000, 1000},
		{"99999999999999999999999", 1000, 1000}, {"7", 0, 7},
	}
	for _, tt := range tests {
		if got, err := Limit(tt.in, tt.max); err != nil || got != tt.want {
			t.Fatalf("Limit(%q, %d) = %d, %v; want %d", tt.in, tt.max, got, err, tt.want)
		}
	}
	for _, in := range []string{"0", "-1", "ten", "1.5", " 5"} {
		_, err := Limit(in, 1000)
		checkQueryErr(t, err, "limit")
	}
}

func TestSortDir(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "asc", "asc": "asc", "desc": "desc"} {
		if got, err := SortDir(in); err != nil || got != want {
			t.Fatalf("SortDir(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"ASC", "up", "ascending"} {
		_, err := SortDir(in)
		checkQueryErr(t, err, "sort_dir")
	}
}

func TestExecCommand(t *testing.T) {
	t.Parallel()
	got, err := ExecCommand(`sh -c "echo hi > /tmp/x"`)
	if want := []string{"sh", "-c", "echo hi > /tmp/x"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("ExecCommand = %q, %v; want %q", got, err, want)
	}
	for _, in := range []string{"", "   ", `echo "hi`, `echo \`} {
		_, err := ExecCommand(in)
		checkQueryErr(t, err, "command")
	}
}

func TestName(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"ab", "web-1", "a.b_c-d", "0x", strings.Repeat("n", 255)} {
		if err := Name(in); err != nil {
			t.Fatalf("Name(%q): %v", in, err)
		}
	}
	for _, in := range []string{"", "a", "-ab", "_ab", ".ab", "a b", "a/b", "ünï", strings.Repeat("n", 256)} {
		checkQueryErr(t, Name(in), "name")
	}
}
