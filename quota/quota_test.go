package quota

import (
	"errors"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		raw  map[string]any
		want Limits
		bad  string
	}{
		{"numbers", map[string]any{"containers": 10.0, "cpu": 4.0}, Limits{Containers: 10, CPU: 4}, ""},
		{"strings, as Zun accepts", map[string]any{"memory": "2048", "disk": "-1"}, Limits{Memory: 2048, Disk: -1}, ""},
		{"unknown resource", map[string]any{"gpus": 1.0}, nil, "gpus"},
		{"below -1", map[string]any{"containers": -2.0}, nil, "minimum of -1"},
		{"fraction", map[string]any{"cpu": 1.5}, nil, "cpu"},
		{"not a number", map[string]any{"memory": "lots"}, nil, "memory"},
		{"wrong type", map[string]any{"disk": true}, nil, "disk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.raw)
			if tc.bad != "" {
				if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("error %v, want invalid naming %q", err, tc.bad)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("%v %v, want %v", got, err, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("%s = %d, want %d", k, got[k], v)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	lim := Limits{Containers: 2, CPU: 2, Memory: -1}
	used := Usage{Containers: 2, CPU: 1.5, Memory: 1 << 20}
	if err := Check(lim, used, Usage{Containers: 1, CPU: 0.5, Memory: 1}); !errors.Is(err, errdefs.ErrQuotaExceeded) ||
		!strings.Contains(err.Error(), "containers (requested 1, in use 2, limit 2)") || strings.Contains(err.Error(), "cpu") {
		t.Fatalf("over containers only: %v", err)
	}
	if err := Check(lim, used, Usage{CPU: -1, Memory: 100}); err != nil {
		t.Fatalf("shrinking and an unlimited resource: %v", err)
	}
}
