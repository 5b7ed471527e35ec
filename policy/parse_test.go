package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/zun-go/zun/auth"
)

func TestTokenize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "   ", nil},
		{"words", "role:a  OR\trole:b", []string{"role:a", "or", "role:b"}},
		{"parentheses", "((role:a) and not (role:b))", []string{"(", "(", "role:a", ")", "and", "not", "(", "role:b", ")", ")"}},
		{"only white space separates", "not(role:b)", []string{"not(role:b", ")"}},
		{"substitution keeps its parentheses", "(project_id:%(project_id)s)", []string{"(", "project_id:%(project_id)s", ")"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tokenize(tc.in); !slices.Equal(got, tc.want) {
				t.Fatalf("tokenize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	var (
		nobody   = auth.Principal{}
		roleless = auth.Principal{UserID: "u-m", ProjectID: "p-1"}
		other    = Target{"project_id": "p-2", "user_id": "u-x"}
	)
	for _, tc := range []struct {
		name   string
		check  string
		p      auth.Principal
		target Target
		want   bool
	}{
		{"empty is always", "", nobody, nil, true},
		{"blank is always", "  ", nobody, nil, true},
		{"always", "@", nobody, nil, true},
		{"never", "!", admin, own, false},
		{"role", "role:member", member, nil, true},
		{"role in any case", "role:MEMBER", member, nil, true},
		{"role held in another case", "role:admin", auth.Principal{Roles: []string{"Admin"}}, nil, true},
		{"missing role", "role:admin", member, nil, false},
		{"rule", "rule:context_is_admin", admin, nil, true},
		{"rule refuses", "rule:context_is_admin", member, nil, false},
		{"owner", "project_id:%(project_id)s", roleless, own, true},
		{"not owner", "project_id:%(project_id)s", member, other, false},
		{"target without project_id", "project_id:%(project_id)s", member, Target{}, false},
		{"nil target", "project_id:%(project_id)s", member, nil, false},
		{"caller without project", "project_id:%(project_id)s", nobody, Target{"project_id": ""}, false},
		{"other target key", "project_id:%(owner)s", member, Target{"owner": "p-1"}, true},
		{"user", "user_id:%(user_id)s", member, own, true},
		{"other user", "user_id:%(user_id)s", reader, own, false},
		{"literal project", "project_id:p-1", member, nil, true},
		{"quoted literal", "project_id:'p-1'", member, nil, true},
		{"other literal", "project_id:p-2", member, nil, false},
		{"is_admin", "is_admin:True", admin, nil, true},
		{"is_admin member", "is_admin:True", member, nil, false},
		{"is_admin:False", "is_admin:False", member, nil, true},
		{"not", "not role:admin", member, nil, true},
		{"NOT in capitals", "NOT role:admin", admin, nil, false},
		{"not not", "not not role:admin", admin, nil, true},
		// role:admin or (role:member and owner)
		{"and binds tighter than or", "role:admin or role:member and project_id:%(project_id)s", member, other, false},
		{"and binds tighter than or, owner", "role:admin or role:member and project_id:%(project_id)s", member, own, true},
		{"and binds tighter than or, admin", "role:admin or role:member and project_id:%(project_id)s", admin, other, true},
		// (role:admin or role:member) and owner
		{"parentheses", "(role:admin or role:member) and project_id:%(project_id)s", admin, other, false},
		// (not role:admin) and role:reader
		{"not binds tighter than and", "not role:admin and role:reader", reader, nil, true},
		{"not binds tighter than and, admin", "not role:admin and role:reader", admin, nil, false},
		// (not role:admin) or role:reader
		{"not binds tighter than or", "not role:admin or role:reader", admin, nil, true},
		{"not of a group", "not (role:admin or role:reader)", admin, nil, false},
		{"nested parentheses", "((role:reader))", reader, nil, true},
		{"parenthesized substitution", "(role:admin or (project_id:%(project_id)s))", member, own, true},
		{"parenthesized substitution, stranger", "(role:admin or (project_id:%(project_id)s))", member, other, false},
		{"and chain", "role:member and role:reader and user_id:u-m", member, nil, true},
		{"and chain fails", "role:member and role:reader and user_id:u-x", member, nil, false},
		{"or chain", "role:x or role:y or role:reader", reader, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := mustNew(t, map[string]string{"x": tc.check})
			if got := e.Allowed(tc.p, "x", tc.target); got != tc.want {
				t.Fatalf("%q for %+v on %v: %v, want %v", tc.check, tc.p, tc.target, got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		check string
		want  string
	}{
		{"dangling or", "role:admin or", "unexpected end"},
		{"dangling not", "not", "unexpected end"},
		{"leading and", "and role:admin", `unexpected "and"`},
		{"two checks", "role:a role:b", `unexpected "role:b"`},
		{"unclosed", "(role:admin", "missing )"},
		{"unopened", "role:admin)", `unexpected ")"`},
		{"empty group", "()", `unexpected ")"`},
		{"no kind", "admin", "is not a check"},
		{"no value", "role:", "is not a check"},
		{"unknown kind", "colour:blue", `unknown kind "colour"`},
		{"is_admin in lower case", "is_admin:true", "True or False"},
		{"broken substitution", "project_id:%(project_id)", "substitution"},
		{"empty substitution", "project_id:%()s", "empty substitution"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(tc.check)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parse(%q) = %v, want an error containing %q", tc.check, err, tc.want)
			}
		})
	}
}
