package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// The callers of the tests: an admin whose own project is elsewhere, a
// member and a reader of project p-1, a member of project p-2.
var (
	admin    = auth.Principal{UserID: "u-admin", ProjectID: "p-admin", Roles: []string{"admin", "member", "reader"}}
	member   = auth.Principal{UserID: "u-m", ProjectID: "p-1", Roles: []string{"member", "reader"}}
	reader   = auth.Principal{UserID: "u-r", ProjectID: "p-1", Roles: []string{"reader"}}
	stranger = auth.Principal{UserID: "u-s", ProjectID: "p-2", Roles: []string{"member", "reader"}}

	// own is an object of p-1, created by member.
	own = Target{"project_id": "p-1", "user_id": "u-m"}
)

func mustNew(t *testing.T, overrides map[string]string) *Enforcer {
	t.Helper()
	e, err := New(overrides)
	if err != nil {
		t.Fatalf("New(%v): %v", overrides, err)
	}
	return e
}

func TestBaseRules(t *testing.T) {
	t.Parallel()
	e := mustNew(t, nil)
	type verdicts struct{ admin, member, stranger, reader bool }
	for _, tc := range []struct {
		name string
		want verdicts
	}{
		{"context_is_admin", verdicts{admin: true}},
		{"admin_or_owner", verdicts{admin: true, member: true, reader: true}},
		{"admin_api", verdicts{admin: true}},
		{"deny_everybody", verdicts{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct {
				who  string
				p    auth.Principal
				want bool
			}{
				{"admin", admin, tc.want.admin},
				{"member of the project", member, tc.want.member},
				{"member of another project", stranger, tc.want.stranger},
				{"reader of the project", reader, tc.want.reader},
			} {
				if got := e.Allowed(c.p, tc.name, own); got != c.want {
					t.Errorf("%s on an object of p-1: allowed=%v, want %v", c.who, got, c.want)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	e := mustNew(t, nil)
	for _, tc := range []struct {
		name   string
		rule   string
		p      auth.Principal
		target Target
		want   bool
	}{
		{"owner starts", "container:start", member, own, true},
		{"reader starts: Zun's defaults know no reader", "container:start", reader, own, true},
		{"stranger cannot start", "container:start", stranger, own, false},
		{"admin starts anywhere", "container:start", admin, own, true},
		{"nobody without a project", "container:start", member, Target{}, false},
		{"privileged denied to admins too", "container:create:privileged", admin, own, false},
		{"owner cannot pick a host", "container:create:requested_destination", member, own, false},
		{"admin picks a host", "container:create:requested_destination", admin, own, true},
		{"owner cannot see all projects", "container:get_all_all_projects", member, own, false},
		{"owner reads quotas", "quota:get", member, own, true},
		{"stranger cannot read quotas", "quota:get", stranger, own, false},
		{"owner cannot set quotas", "quota:update", member, own, false},
		{"quota classes are admin's", "quota_class:get", member, own, false},
		{"hosts are admin's", "host:get_all", admin, nil, true},
		{"services are admin's", "zun-service:disable", member, own, false},
		{"networks need the admin role", "network:create", admin, nil, true},
		{"members cannot create networks", "network:create", member, own, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := e.Authorize(tc.p, tc.rule, tc.target)
			if (err == nil) != tc.want {
				t.Fatalf("%s for %v on %v: %v, want allowed=%v", tc.rule, tc.p.Roles, tc.target, err, tc.want)
			}
			if err != nil && !errors.Is(err, errdefs.ErrForbidden) {
				t.Fatalf("error %v is not ErrForbidden", err)
			}
		})
	}
}

// TestDefaultsTable checks the table itself: 82 rules as in Zun, each
// named once, each made of Zun's building blocks, each with a description.
func TestDefaultsTable(t *testing.T) {
	t.Parallel()
	rules := Defaults()
	if len(rules) != 82 {
		t.Errorf("%d default rules, Zun has 82", len(rules))
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.Name] {
			t.Errorf("rule %q twice", r.Name)
		}
		seen[r.Name] = true
		switch r.Check {
		case roleAdmin, adminOrOwner, adminAPI, denyEverybody, "!":
		default:
			t.Errorf("rule %q: unexpected default %q", r.Name, r.Check)
		}
		if r.Description == "" || !strings.HasSuffix(r.Description, ".") {
			t.Errorf("rule %q: description %q is not a sentence", r.Name, r.Description)
		}
	}
	rules[0].Check = "@"
	if Defaults()[0].Check == "@" {
		t.Error("Defaults shares its table with callers")
	}
}

func TestUnknownRuleIsDenied(t *testing.T) {
	t.Parallel()
	e := mustNew(t, nil)
	for _, tc := range []struct {
		name string
		rule string
	}{
		{"misspelt", "container:strat"},
		{"empty", ""},
		{"case matters", "Container:Start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := e.Authorize(admin, tc.rule, own)
			if !errors.Is(err, errdefs.ErrForbidden) {
				t.Fatalf("Authorize(%q) = %v, want ErrForbidden", tc.rule, err)
			}
			if want := "Policy doesn't allow " + tc.rule + " to be performed."; err.Error() != want {
				t.Fatalf("message %q, want %q", err, want)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		overrides map[string]string
		rule      string
		p         auth.Principal
		want      bool
	}{
		{"override replaces the default", map[string]string{"container:start": "role:member and (" + adminOrOwner + ")"}, "container:start", reader, false},
		{"override keeps members in", map[string]string{"container:start": "role:member and (" + adminOrOwner + ")"}, "container:start", member, true},
		// Without parentheses "and" binds first: (member and admin) or owner.
		{"precedence in overrides", map[string]string{"container:start": "role:member and " + adminOrOwner}, "container:start", reader, true},
		{"other defaults stay", map[string]string{"container:start": "!"}, "container:stop", member, true},
		{"new rule", map[string]string{"ops": "role:operator", "container:get_all_all_projects": "rule:ops"}, "container:get_all_all_projects", auth.Principal{Roles: []string{"Operator"}}, true},
		// As in Zun, API rules spell the owner check out.
		{"admin_or_owner is not referred to", map[string]string{"admin_or_owner": "!"}, "container:start", member, true},
		// ... but do refer to context_is_admin, which is_admin follows.
		{"context_is_admin narrows admin rules", map[string]string{"context_is_admin": "role:cloud_admin"}, "host:get_all", admin, false},
		{"context_is_admin narrows is_admin", map[string]string{"context_is_admin": "role:cloud_admin"}, "container:start", admin, false},
		{"context_is_admin widens is_admin", map[string]string{"context_is_admin": "role:cloud_admin"}, "container:start", auth.Principal{ProjectID: "p-9", Roles: []string{"cloud_admin"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := mustNew(t, tc.overrides)
			if got := e.Allowed(tc.p, tc.rule, own); got != tc.want {
				t.Fatalf("%s for %v: allowed=%v, want %v", tc.rule, tc.p.Roles, got, tc.want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		overrides map[string]string
		want      []string
	}{
		{"syntax error names the rule", map[string]string{"x": "role:admin or"}, []string{`policy rule "x"`, "unexpected end"}},
		{"every bad rule is named", map[string]string{"x": "(", "y": "and"}, []string{`policy rule "x"`, `policy rule "y"`}},
		{"unknown rule", map[string]string{"container:start": "rule:nope"}, []string{`"container:start" refers to rule "nope", which does not exist`}},
		{"self reference", map[string]string{"a": "rule:a"}, []string{"cycle: a -> a"}},
		{"cycle", map[string]string{"a": "role:x or rule:b", "b": "not rule:c", "c": "rule:a"}, []string{"cycle: a -> b -> c -> a"}},
		{"cycle through a default", map[string]string{"context_is_admin": "rule:admin_api"}, []string{"cycle: admin_api -> context_is_admin -> admin_api"}},
		{"cycle through is_admin", map[string]string{"context_is_admin": "is_admin:True"}, []string{"cycle: context_is_admin -> context_is_admin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.overrides)
			if !errors.Is(err, errdefs.ErrInvalid) {
				t.Fatalf("error %v, want ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	e := mustNew(t, map[string]string{"container:start": "role:member", "extra": "@"})
	got := map[string]Rule{}
	for _, r := range e.Rules() {
		got[r.Name] = r
	}
	if len(got) != len(defaults)+1 {
		t.Errorf("%d rules, want %d", len(got), len(defaults)+1)
	}
	if r := got["container:start"]; r.Check != "role:member" || r.Description == "" {
		t.Errorf("container:start is %+v, want the override with the default's description", r)
	}
	if r := got["extra"]; r.Check != "@" {
		t.Errorf("extra is %+v", r)
	}
}
