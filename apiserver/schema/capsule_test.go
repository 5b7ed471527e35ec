package schema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// TestCapsuleHelpers checks that the exported checks accept and refuse as
// the create body's fields do, naming the path they are given.
func TestCapsuleHelpers(t *testing.T) {
	t.Parallel()
	l := DefaultLimits()
	check := func(f func(string, any) (any, error)) func(string, any) error {
		return func(p string, v any) error { _, err := f(p, v); return err }
	}
	image := check(func(p string, v any) (any, error) { return Image(p, v) })
	name := check(func(p string, v any) (any, error) { return ContainerName(p, v) })
	cpu := check(func(p string, v any) (any, error) { return CPU(p, v, l) })
	memory := check(func(p string, v any) (any, error) { return Memory(p, v, l) })
	env := check(func(p string, v any) (any, error) { return Environment(p, v) })
	pull := check(func(p string, v any) (any, error) { return ImagePullPolicy(p, v) })
	az := check(func(p string, v any) (any, error) { return AvailabilityZone(p, v) })
	port := check(func(p string, v any) (any, error) { return Port(p, v, 1) })
	size := check(func(p string, v any) (any, error) { return Size(p, v) })
	tests := []struct {
		name  string
		check func(string, any) error
		v     any
		ok    bool
		path  string // the path given; a refusal names it (env: path.key)
	}{
		{"image", image, "busybox:1.36", true, ""},
		{"image too short", image, "b", false, "x.image"},
		{"image bad reference", image, "Busy Box", false, "x.image"},
		{"name", name, "web-1", true, ""},
		{"name null", name, nil, true, ""},
		{"name short", name, "w", false, "x.name"},
		{"cpu number", cpu, json.Number("0.5"), true, ""},
		{"cpu string", cpu, "2", true, ""},
		{"cpu too big", cpu, json.Number("17"), false, "x.cpu"},
		{"memory", memory, json.Number("128"), true, ""},
		{"memory unit", memory, "128M", false, "x.memory"},
		{"env", env, map[string]any{"A": "1"}, true, ""},
		{"env number", env, map[string]any{"A": json.Number("1")}, false, "x.env"},
		{"pull policy", pull, "IfNotPresent", true, ""},
		{"pull policy bad", pull, "sometimes", false, "x.imagePullPolicy"},
		{"zone", az, "nova", true, ""},
		{"zone empty", az, "", false, "x.availabilityZone"},
		{"port", port, json.Number("443"), true, ""},
		{"port string", port, "443", true, ""},
		{"port zero", port, json.Number("0"), false, "x.port"},
		{"port too big", port, json.Number("65536"), false, "x.port"},
		{"size", size, json.Number("3"), true, ""},
		{"size string", size, "3", false, "x.size"},
		{"size zero", size, json.Number("0"), false, "x.size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := tt.path
			if p == "" {
				p = "x.field"
			}
			err := tt.check(p, tt.v)
			if tt.ok {
				if err != nil {
					t.Fatalf("%v: %v, want accepted", tt.v, err)
				}
				return
			}
			if !errdefs.IsInvalid(err) || !strings.Contains(err.Error(), "'"+p) {
				t.Fatalf("%v: error %v, want ErrInvalid naming '%s'", tt.v, err, p)
			}
		})
	}
}

// TestCapsuleCreate checks the body of POST /v1/capsules: {"template": T}
// and nothing else, T handed on as decoded.
func TestCapsuleCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       any    // the template, when accepted
		refusal    string // part of the message, when refused
	}{
		{"object", `{"template": {"kind": "capsule"}}`, map[string]any{"kind": "capsule"}, ""},
		{"string", `{"template": "{\"kind\": \"capsule\"}"}`, `{"kind": "capsule"}`, ""},
		{"null template, for Parse to refuse", `{"template": null}`, nil, ""},
		{"no template", `{}`, nil, "'template' is a required property"},
		{"another key", `{"template": {}, "spec": {}}`, nil, "('spec' was unexpected)"},
		{"not an object", `[{"template": {}}]`, nil, "Malformed request body"},
		{"empty", ``, nil, "it is empty"},
		{"malformed", `{"template": `, nil, "Malformed request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := CapsuleCreate([]byte(tt.body))
			if tt.refusal != "" {
				if !errdefs.IsInvalid(err) || !strings.Contains(err.Error(), tt.refusal) {
					t.Fatalf("CapsuleCreate(%s) = %v, %v; want ErrInvalid naming %q", tt.body, got, err, tt.refusal)
				}
				return
			}
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(tt.want)
			if err != nil || string(a) != string(b) {
				t.Fatalf("CapsuleCreate(%s) = %s, %v; want %s", tt.body, a, err, b)
			}
		})
	}
}
