package schema

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/errdefs"
)

// FuzzContainerUpdate checks that no body makes ContainerUpdate panic,
// that every refusal is an ErrInvalid, and that an accepted update,
// written back as a body, is accepted again with the same values.
func FuzzContainerUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"cpu":1}`, `{"cpu":"0.5","memory":"128"}`, `{"memory":64}`,
		`{"name":"web"}`, `{"auto_heal":"True"}`, `{"auto_heal":false,"name":"a.b-c_d"}`,
		`{}`, `{"cpu":null}`, `{"memory":null}`, `{"cpu":1e999}`, `{"memory":"12X"}`,
		`{"name":""}`, `{"bogus":1}`, `[]`, `null`, `{"cpu":1} {}`, ``, `{"cpu":-1}`,
		`{"memory":9223372036854775808}`, `{"cpu":"NaN"}`, `{"cpu":"Inf"}`,
	} {
		f.Add([]byte(seed))
	}
	l := DefaultLimits()
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ContainerUpdate(body, api.MaxVersion, l)
		if err != nil {
			if !errdefs.IsInvalid(err) {
				t.Fatalf("ContainerUpdate(%q): %v is not ErrInvalid", body, err)
			}
			return
		}
		if req.CPU == nil && req.Memory == nil && req.Name == nil && req.AutoHeal == nil {
			t.Fatalf("ContainerUpdate(%q) accepted an update of nothing", body)
		}
		if req.CPU != nil && (*req.CPU < l.MinCPU || *req.CPU > l.MaxCPU) {
			t.Fatalf("ContainerUpdate(%q): cpu %g outside the limits", body, *req.CPU)
		}
		if req.Memory != nil && (*req.Memory < l.MinMemory || *req.Memory > l.MaxMemory) {
			t.Fatalf("ContainerUpdate(%q): memory %d outside the limits", body, *req.Memory)
		}
		again := map[string]any{}
		if req.CPU != nil {
			again["cpu"] = *req.CPU
		}
		if req.Memory != nil {
			again["memory"] = *req.Memory
		}
		if req.Name != nil {
			again["name"] = *req.Name
		}
		if req.AutoHeal != nil {
			again["auto_heal"] = *req.AutoHeal
		}
		b, _ := json.Marshal(again)
		req2, err := ContainerUpdate(b, api.MaxVersion, l)
		if err != nil {
			t.Fatalf("ContainerUpdate(%q) accepted, its values %s refused: %v", body, b, err)
		}
		if !sameUpdate(req, req2) {
			t.Fatalf("ContainerUpdate(%q) and of its values %s differ", body, b)
		}
	})
}

func sameUpdate(a, b *UpdateRequest) bool {
	switch {
	case (a.CPU == nil) != (b.CPU == nil) || a.CPU != nil && *a.CPU != *b.CPU:
		return false
	case (a.Memory == nil) != (b.Memory == nil) || a.Memory != nil && *a.Memory != *b.Memory:
		return false
	case (a.Name == nil) != (b.Name == nil) || a.Name != nil && *a.Name != *b.Name:
		return false
	case (a.AutoHeal == nil) != (b.AutoHeal == nil) || a.AutoHeal != nil && *a.AutoHeal != *b.AutoHeal:
		return false
	}
	return true
}

// FuzzQueryParams checks the parsers of the actions' query parameters:
// none panics, every refusal is an ErrInvalid, and what each accepts is in
// its range and parses again to itself.
func FuzzQueryParams(f *testing.F) {
	for _, seed := range []string{
		"", "0", "1", "10", "-1", "2147483647", "2147483648", "true", "False", "yes", "off", " on ",
		"all", "None", "1500000000", "2026-01-02 03:04:05,123456", "2026-13-01 00:00:00,1",
		"asc", "DESC", "SIGKILL", "kill", "9", "15", "sh -c 'echo hi'", `"unterminated`, "a\\",
		"web", "a b", "x/y", "1e3", "0x10", "+5", "９",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		refused := func(fn string, err error) bool {
			t.Helper()
			if err != nil && !errdefs.IsInvalid(err) {
				t.Fatalf("%s(%q): %v is not ErrInvalid", fn, value, err)
			}
			return err != nil
		}
		refused("Bool", func() error { _, err := Bool("run", value); return err }())
		if n, err := Timeout(value); !refused("Timeout", err) {
			if n < 0 {
				t.Fatalf("Timeout(%q) = %d", value, n)
			}
			if m, err := Timeout(strconv.Itoa(n)); err != nil || m != n {
				t.Fatalf("Timeout(%q) = %d, but Timeout(%d) = %d, %v", value, n, n, m, err)
			}
		}
		if s, err := Tail(value); !refused("Tail", err) {
			if s2, err := Tail(s); err != nil || s2 != s {
				t.Fatalf("Tail(%q) = %q, but Tail(%q) = %q, %v", value, s, s, s2, err)
			}
		}
		if tm, err := Since(value); !refused("Since", err) {
			if !tm.IsZero() && tm.After(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("Since(%q) = %v", value, tm)
			}
		}
		if n, err := Limit(value, 1000); !refused("Limit", err) {
			if n < 1 || n > 1000 {
				t.Fatalf("Limit(%q) = %d", value, n)
			}
		}
		if d, err := SortDir(value); !refused("SortDir", err) && d != "asc" && d != "desc" {
			t.Fatalf("SortDir(%q) = %q", value, d)
		}
		if sig, err := Signal(value); !refused("Signal", err) {
			if s2, err := Signal(sig); err != nil || s2 != sig {
				t.Fatalf("Signal(%q) = %q, but Signal(%q) = %q, %v", value, sig, sig, s2, err)
			}
		}
		if args, err := ExecCommand(value); !refused("ExecCommand", err) && len(args) == 0 && strings.TrimSpace(value) != "" {
			t.Fatalf("ExecCommand(%q) gave no argument", value)
		}
		if err := Name(value); !refused("Name", err) && !ValidName(value) {
			t.Fatalf("Name(%q) accepted what ValidName refuses", value)
		}
		if ref, err := ImageRef(value); err == nil {
			if _, err := ImageRef(ref.String()); err != nil {
				t.Fatalf("ImageRef(%q) = %q, which is refused: %v", value, ref.String(), err)
			}
		}
		_ = ClassName(value)
	})
}
