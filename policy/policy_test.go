package policy

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

var update = flag.Bool("update", false, "rewrite docs/policy.md")

var (
	admin  = auth.Principal{UserID: "u-admin", ProjectID: "p-admin", Roles: []string{"admin", "member", "reader"}}
	member = auth.Principal{UserID: "u-m", ProjectID: "p-1", Roles: []string{"member", "reader"}}
	reader = auth.Principal{UserID: "u-r", ProjectID: "p-1", Roles: []string{"reader"}}
	own    = Target{"project_id": "p-1", "user_id": "u-m"}
	other  = Target{"project_id": "p-2", "user_id": "u-x"}
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, check string
		p           auth.Principal
		target      Target
		want        bool
	}{
		{"empty is always", "", member, own, true},
		{"always", "@", member, own, true},
		{"never", "!", admin, own, false},
		{"role", "role:member", member, own, true},
		{"role any case", "role:MEMBER", member, own, true},
		{"missing role", "role:admin", member, own, false},
		{"owner", "project_id:%(project_id)s", member, own, true},
		{"not owner", "project_id:%(project_id)s", member, other, false},
		{"no project in target", "project_id:%(project_id)s", member, Target{}, false},
		{"user", "user_id:%(user_id)s", member, own, true},
		{"literal", "project_id:p-1", member, nil, true},
		{"is_admin", "is_admin:True", admin, nil, true},
		{"is_admin member", "is_admin:True", member, nil, false},
		{"not", "not role:admin", member, nil, true},
		{"and binds tighter than or", "role:admin or role:member and project_id:%(project_id)s", member, other, false},
		{"and binds tighter than or, owner", "role:admin or role:member and project_id:%(project_id)s", member, own, true},
		{"parentheses", "(role:admin or role:member) and project_id:%(project_id)s", admin, other, false},
		{"not binds tighter than and", "not role:admin and role:reader", reader, nil, true},
		{"nested parentheses", "((role:reader))", reader, nil, true},
		{"parenthesized substitution", "(role:admin or (project_id:%(project_id)s))", member, own, true},
		{"parenthesized substitution, stranger", "(role:admin or (project_id:%(project_id)s))", member, other, false},
		{"admin_or_owner admin elsewhere", "rule:admin_or_owner", admin, other, true},
		{"admin_or_owner owner", "rule:admin_or_owner", reader, own, true},
		{"admin_or_owner stranger", "rule:admin_or_owner", member, other, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := New(map[string]string{"x": tc.check})
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Allowed(tc.p, "x", tc.target); got != tc.want {
				t.Fatalf("%q: %v, want %v", tc.check, got, tc.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		overrides map[string]string
		want      string
	}{
		{"syntax", map[string]string{"x": "role:admin or"}, `"x"`},
		{"unbalanced", map[string]string{"x": "(role:admin"}, "missing )"},
		{"unknown kind", map[string]string{"x": "colour:blue"}, "unknown check kind"},
		{"unknown rule", map[string]string{"x": "rule:nope"}, `"nope", which does not exist`},
		{"cycle", map[string]string{"a": "rule:b", "b": "rule:a"}, "cycle"},
		{"self", map[string]string{"container:start": "rule:container:start"}, "cycle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.overrides)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	e, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rule   string
		p      auth.Principal
		target Target
		want   bool
	}{
		{"container:start", member, own, true},
		{"container:start", reader, own, true}, // Zun's legacy defaults know no reader
		{"container:start", member, other, false},
		{"container:start", admin, other, true},
		{"container:create:privileged", admin, own, false},
		{"container:create:requested_destination", member, own, false},
		{"container:create:requested_destination", admin, own, true},
		{"container:get_all_all_projects", member, own, false},
		{"quota:get", member, own, true},
		{"quota:get", member, other, false},
		{"quota:update", member, own, false},
		{"quota_class:get", member, own, false},
		{"host:get_all", admin, nil, true},
		{"zun-service:disable", member, own, false},
		{"no:such:rule", admin, own, false},
	} {
		err := e.Authorize(tc.p, tc.rule, tc.target)
		if (err == nil) != tc.want {
			t.Errorf("%s for %v on %v: %v, want allowed=%v", tc.rule, tc.p.Roles, tc.target, err, tc.want)
		}
		if err != nil && (!errors.Is(err, errdefs.ErrForbidden) || err.Error() != "Policy doesn't allow "+tc.rule+" to be performed.") {
			t.Errorf("%s: error %q", tc.rule, err)
		}
	}
}

func TestPolicyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"policy.yaml": "# readers may only look\n\"container:start\": \"role:member and rule:admin_or_owner\"\n",
		"policy.json": `{"container:start": "role:member and rule:admin_or_owner"}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		e, err := Load(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.Allowed(reader, "container:start", own) || !e.Allowed(member, "container:start", own) {
			t.Fatalf("%s: the override does not apply", name)
		}
		if !e.Allowed(reader, "container:get_one", own) {
			t.Fatalf("%s: a default was lost", name)
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("- a list\n"), 0o600)
	if _, err := Load(bad); err == nil {
		t.Fatal("a list loaded as a policy")
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("a missing file loaded")
	}
}

// TestDocsUpToDate keeps the table of defaults in docs/policy.md true;
// go test ./policy -update rewrites it.
func TestDocsUpToDate(t *testing.T) {
	path := filepath.Join("..", "docs", "policy.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- defaults:begin -->\n", "<!-- defaults:end -->"
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q ... %q markers", path, begin, end)
	}
	var table strings.Builder
	table.WriteString("| rule | default | what |\n| --- | --- | --- |\n")
	for _, r := range Defaults() {
		table.WriteString("| `" + r.Name + "` | `" + r.Check + "` | " + r.Description + " |\n")
	}
	want := doc[:i+len(begin)] + table.String() + doc[j:]
	if want == doc {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is out of date; run go test ./policy -update", path)
}
