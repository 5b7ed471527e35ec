package policy

import (
	"errors"
	"slices"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

func TestParseProfile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Profile
		ok   bool
	}{
		{"", ProfileZun, true},
		{"zun", ProfileZun, true},
		{"personas", ProfilePersonas, true},
		{"Personas", "", false},
		{"secure-rbac", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseProfile(tc.in)
			if tc.ok != (err == nil) || got != tc.want {
				t.Fatalf("ParseProfile(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
			if err != nil && !errors.Is(err, errdefs.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
		})
	}
	if _, err := NewProfile("bogus", nil); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("NewProfile(bogus): %v, want ErrInvalid", err)
	}
}

// TestPersonas: under the personas a project reader lists and shows, a
// member also changes, a member of another project does nothing, an
// admin does everything; admin-only and denied rules are Zun's.
func TestPersonas(t *testing.T) {
	t.Parallel()
	e, err := NewProfile(ProfilePersonas, nil)
	if err != nil {
		t.Fatal(err)
	}
	onlyMember := auth.Principal{UserID: "u-o", ProjectID: "p-1", Roles: []string{"member"}}
	type verdicts struct{ admin, member, reader, stranger bool }
	for _, tc := range []struct {
		rule string
		want verdicts
	}{
		{"container:get_all", verdicts{admin: true, member: true, reader: true}},
		{"container:get_one", verdicts{admin: true, member: true, reader: true}},
		{"container:actions", verdicts{admin: true, member: true, reader: true}},
		{"quota:get", verdicts{admin: true, member: true, reader: true}},
		{"registry:get_one", verdicts{admin: true, member: true, reader: true}},
		{"container:create", verdicts{admin: true, member: true}},
		{"container:start", verdicts{admin: true, member: true}},
		{"container:delete", verdicts{admin: true, member: true}},
		{"container:logs", verdicts{admin: true, member: true}},
		{"container:execute", verdicts{admin: true, member: true}},
		{"container:get_archive", verdicts{admin: true, member: true}},
		{"registry:update", verdicts{admin: true, member: true}},
		{"container:get_all_all_projects", verdicts{admin: true}},
		{"quota:update", verdicts{admin: true}},
		{"host:get_all", verdicts{admin: true}},
		{"network:create", verdicts{admin: true}},
		{"container:create:privileged", verdicts{}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct {
				who  string
				p    auth.Principal
				want bool
			}{
				{"admin of another project", admin, tc.want.admin},
				{"member", member, tc.want.member},
				{"reader", reader, tc.want.reader},
				{"member of another project", stranger, tc.want.stranger},
			} {
				if got := e.Allowed(c.p, tc.rule, own); got != c.want {
					t.Errorf("%s: allowed=%v, want %v", c.who, got, c.want)
				}
			}
		})
	}
	// The personas rely on Keystone's implied roles: a token of a member
	// carries reader too. One that does not is only a member.
	if e.Allowed(onlyMember, "container:get_one", own) || !e.Allowed(onlyMember, "container:start", own) {
		t.Error("role:reader and role:member are checked as written")
	}
}

// TestPersonasDerived: every owner rule of Zun's becomes a reader or a
// member rule, nothing else changes, and the reads named exist.
func TestPersonasDerived(t *testing.T) {
	t.Parallel()
	zun, personas := Defaults(), DefaultsOf(ProfilePersonas)
	if len(personas) != len(zun)+len(personaBase) {
		t.Fatalf("%d persona rules, want %d", len(personas), len(zun)+len(personaBase))
	}
	byName := map[string]Rule{}
	for _, r := range personas {
		byName[r.Name] = r
	}
	for _, r := range zun {
		p := byName[r.Name]
		switch {
		case r.Check == adminOrOwner && r.Name != "admin_or_owner":
			want := projectMember
			if slices.Contains(readRules, r.Name) {
				want = projectReader
			}
			if p.Check != want {
				t.Errorf("%s: %q, want %q", r.Name, p.Check, want)
			}
		case p.Check != r.Check:
			t.Errorf("%s: %q, want Zun's %q", r.Name, p.Check, r.Check)
		}
	}
	for _, name := range readRules {
		if r, ok := byName[name]; !ok || r.Check != projectReader {
			t.Errorf("read rule %q is not a rule of Zun's owners", name)
		}
	}
}

// TestProfileOverrides: a policy file applies on top of either profile.
func TestProfileOverrides(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "policy.yaml", "\"container:stop\": \"rule:project_reader_or_admin\"\n\"container:get_one\": \"rule:context_is_admin\"\n")
	e, err := LoadProfile(ProfilePersonas, path)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Allowed(reader, "container:stop", own) || e.Allowed(member, "container:get_one", own) {
		t.Error("the overrides do not apply")
	}
	if e.Allowed(reader, "container:start", own) {
		t.Error("the personas were lost under the overrides")
	}
	// A file for the personas' base rules does not load on Zun's.
	if _, err := LoadProfile(ProfileZun, path); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("personas' rules on Zun's defaults: %v, want ErrInvalid", err)
	}
}
