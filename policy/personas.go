package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// Profile names a set of built-in defaults. An operator picks one
// (zund --policy-defaults); a policy file overrides rules on top of it.
type Profile string

const (
	// ProfileZun is Zun's own defaults: any role on a project may do
	// anything to it. Policy files written for Zun keep their meaning.
	ProfileZun Profile = "zun"
	// ProfilePersonas is the "secure RBAC" defaults of modern OpenStack
	// services on Keystone's default roles, reader ⊂ member ⊂ admin: a
	// project reader lists and shows, a project member also creates and
	// changes, an admin does everything in every project.
	ProfilePersonas Profile = "personas"
)

// Profiles lists the built-in profiles, the default first.
func Profiles() []Profile { return []Profile{ProfileZun, ProfilePersonas} }

// ParseProfile returns the profile named s ("" is the default).
func ParseProfile(s string) (Profile, error) {
	if s == "" {
		return ProfileZun, nil
	}
	if p := Profile(s); slices.Contains(Profiles(), p) {
		return p, nil
	}
	names := make([]string, 0, len(Profiles()))
	for _, p := range Profiles() {
		names = append(names, string(p))
	}
	return "", errdefs.Invalidf("policy defaults %q: want one of %s", s, strings.Join(names, ", "))
}

// The base rules of the personas, as Nova, Neutron and Cinder name them.
const (
	projectReader = "rule:project_reader_or_admin"
	projectMember = "rule:project_member_or_admin"
)

// readRules are the owner rules a project reader passes under the
// personas: lists and shows of records. Everything else an owner may do
// (changes, and what reaches into a running container: logs, archives,
// attach, exec, which Nova too keeps from readers for a server's console)
// needs a member.
var readRules = []string{
	"availability_zones:get_all",
	"capsule:get", "capsule:get_all",
	"container:actions", "container:get_all", "container:get_one", "container:stats", "container:top",
	"image:search",
	"quota:get", "quota:get_default",
	"registry:get_all", "registry:get_one",
}

// personaBase are the base rules the personas add to Zun's, named as
// Nova's.
var personaBase = []Rule{
	{"project_reader_api", "role:reader and project_id:%(project_id)s", "A reader of the object's project (members and admins hold reader too: Keystone's roles imply it)."},
	{"project_member_api", "role:member and project_id:%(project_id)s", "A member of the object's project (admins hold member too)."},
	{"project_reader_or_admin", "rule:context_is_admin or rule:project_reader_api", "An administrator, or a reader of the object's project: lists and shows."},
	{"project_member_or_admin", "rule:context_is_admin or rule:project_member_api", "An administrator, or a member of the object's project: everything else an owner may do."},
}

// DefaultsOf returns the default rules of profile p, base rules first.
// The personas are Zun's rules with every owner check replaced by the
// project reader or member check, after four base rules of their own;
// admin-only and denied rules stay.
func DefaultsOf(p Profile) []Rule {
	out := Defaults()
	if p != ProfilePersonas {
		return out
	}
	base := slices.IndexFunc(out, func(r Rule) bool { return r.Name == "deny_everybody" }) + 1
	out = slices.Insert(out, base, personaBase...)
	for i, r := range out {
		if r.Check != adminOrOwner || r.Name == "admin_or_owner" {
			continue
		}
		out[i].Check = projectMember
		if slices.Contains(readRules, r.Name) {
			out[i].Check = projectReader
		}
	}
	return out
}

// NewProfile is New on the defaults of profile p.
func NewProfile(p Profile, overrides map[string]string) (*Enforcer, error) {
	if _, err := ParseProfile(string(p)); err != nil {
		return nil, err
	}
	return newEnforcer(DefaultsOf(p), overrides)
}

// LoadProfile is Load on the defaults of profile p.
func LoadProfile(p Profile, path string) (*Enforcer, error) {
	overrides, err := readFile(path)
	if err != nil {
		return nil, err
	}
	e, err := NewProfile(p, overrides)
	if err != nil && path != "" {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return e, err
}
