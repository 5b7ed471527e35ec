package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, content string
	}{
		{"yaml", "policy.yaml", "# members, not readers, start containers\n\"container:start\": \"role:member and rule:admin_or_owner\"\n"},
		{"yaml unquoted key", "policy.yml", "container:start: role:member and rule:admin_or_owner\n"},
		{"json", "policy.json", `{"container:start": "role:member and rule:admin_or_owner"}`},
		{"json in a yaml file", "policy.yaml", `{"container:start": "role:member and rule:admin_or_owner"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := Load(writeFile(t, tc.file, tc.content))
			if err != nil {
				t.Fatal(err)
			}
			if e.Allowed(reader, "container:start", own) {
				t.Error("the override does not apply: a reader starts")
			}
			if !e.Allowed(member, "container:start", own) {
				t.Error("the override does not apply: a member cannot start")
			}
			if !e.Allowed(reader, "container:stop", own) {
				t.Error("a default was lost")
			}
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		path func(t *testing.T) string
	}{
		{"no file", func(*testing.T) string { return "" }},
		{"empty file", func(t *testing.T) string { return writeFile(t, "policy.yaml", "") }},
		{"comments only", func(t *testing.T) string { return writeFile(t, "policy.yaml", "# \"container:start\": \"!\"\n") }},
		{"empty object", func(t *testing.T) string { return writeFile(t, "policy.json", "{}") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := Load(tc.path(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(e.Rules()) != len(defaults) || !e.Allowed(member, "container:start", own) || e.Allowed(member, "host:get_all", nil) {
				t.Fatal("not Zun's defaults")
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, content string
		want                string
	}{
		{"a list", "policy.yaml", "- a\n- b\n", "want an object"},
		{"not yaml", "policy.yaml", "a: [b\n", "want an object"},
		{"not json", "policy.json", "a: b\n", "want an object"},
		{"duplicate rule", "policy.yaml", "a: \"@\"\na: \"!\"\n", "want an object"},
		{"null check", "policy.yaml", "\"container:create:privileged\":\n", `rule "container:create:privileged": the check is <nil>, not a string`},
		{"boolean check", "policy.json", `{"x": true}`, `rule "x": the check is true, not a string`},
		{"bad check", "policy.yaml", "\"container:start\": \"role:member and\"\n", `policy rule "container:start": unexpected end`},
		{"unknown reference", "policy.json", `{"x": "rule:y"}`, `"x" refers to rule "y", which does not exist`},
		{"cycle", "policy.yaml", "a: rule:b\nb: rule:a\n", "cycle: a -> b -> a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, tc.file, tc.content)
			_, err := Load(path)
			if !errors.Is(err, errdefs.ErrInvalid) {
				t.Fatalf("error %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q, want one naming %s and containing %q", err, path, tc.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "policy.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want fs.ErrNotExist", err)
	}
}
