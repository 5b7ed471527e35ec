// Package policy decides who may call which API operation. It speaks
// OpenStack oslo.policy's rule language and knows Zun's rules: their names
// and default check strings are Zun's (defaults.go), and an operator may
// override any of them, or add new ones, from a policy file.
//
// # Defaults
//
// Two built-in profiles of defaults (personas.go); a policy file
// overrides rules on top of the one chosen.
//
// The zun profile, the default, is Zun's own: Zun registers one default
// per rule and has never moved to oslo.policy's "new defaults", so there
// is no enforce_new_defaults switch to honour. Its rules are built from
// three pieces:
//
//	is_admin:True or project_id:%(project_id)s   an admin, or anyone with a role on the object's project
//	rule:context_is_admin                        admins only (context_is_admin is role:admin)
//	rule:deny_everybody                          nobody
//
// As in Zun, the owner check is written out in every rule rather than
// referring to rule:admin_or_owner, so overriding admin_or_owner changes
// only the rules that name it; overriding context_is_admin changes every
// admin rule and what is_admin means. Any role on a project makes its
// holder an owner: a reader can delete the project's containers unless the
// operator overrides the rule.
//
// The personas profile is the "secure RBAC" shape of Nova, Neutron and
// Cinder on Keystone's default roles (reader ⊂ member ⊂ admin): every
// owner check becomes rule:project_reader_or_admin for lists and shows
// and rule:project_member_or_admin for everything else (base rules the
// profile adds, as Nova names them); admin-only and denied rules stay.
//
// # Language
//
//	@  or ""                   always
//	!                          never
//	role:NAME                  the caller holds role NAME (any case)
//	rule:NAME                  rule NAME allows
//	is_admin:True              the caller passes context_is_admin (is_admin:False: does not)
//	project_id:%(KEY)s         the caller's project is the target's KEY
//	user_id:%(KEY)s            the caller's user is the target's KEY
//	project_id:VALUE           the caller's project is VALUE (user_id alike)
//	not X, X and Y, X or Y     in that precedence, grouped with parentheses
//
// A check string is parsed once, when rules are loaded. A syntax error, a
// kind this package does not know, a reference to a rule that does not
// exist, or rules that refer to each other in a cycle make loading fail
// with the name of the rule: a policy that loads is one that means what
// it says. (oslo.policy instead logs such rules and denies them at run
// time.) An empty value never matches: a target without a project_id is
// nobody's, a caller without a project owns nothing. Authorizing a rule
// that does not exist is denied.
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// contextIsAdmin names the rule that decides is_admin.
const contextIsAdmin = "context_is_admin"

// Rule is a named check string.
type Rule struct {
	Name        string
	Check       string
	Description string
}

// Target describes the object of a call for substitutions such as
// %(project_id)s: its "project_id", "user_id"... It is an alias so that
// callers can declare their own interface over plain maps.
type Target = map[string]string

// Defaults returns Zun's default rules (the zun profile), base rules
// first.
func Defaults() []Rule { return slices.Clone(defaults) }

// compiled is a rule with its parsed check.
type compiled struct {
	Rule
	check check
}

// Enforcer checks calls against a set of rules. It is immutable once made
// and safe for concurrent use.
type Enforcer struct {
	rules map[string]*compiled
}

// New returns an enforcer of Zun's defaults with overrides applied, rule
// name to check string; an override may also add a rule. The error names
// every rule that fails to parse or link.
func New(overrides map[string]string) (*Enforcer, error) {
	return newEnforcer(defaults, overrides)
}

func newEnforcer(defaults []Rule, overrides map[string]string) (*Enforcer, error) {
	e := &Enforcer{rules: make(map[string]*compiled, len(defaults)+len(overrides))}
	for _, r := range defaults {
		e.rules[r.Name] = &compiled{Rule: r}
	}
	for name, text := range overrides {
		if c, ok := e.rules[name]; ok {
			c.Check = text
		} else {
			e.rules[name] = &compiled{Rule: Rule{Name: name, Check: text}}
		}
	}
	var errs []error
	for _, name := range e.names() {
		r := e.rules[name]
		c, err := parse(r.Check)
		if err != nil {
			errs = append(errs, errdefs.Invalidf("policy rule %q: %v in %q", name, err, r.Check))
			continue
		}
		r.check = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, name := range e.names() {
		e.rules[name].check.walk(func(c check) {
			ref, ok := c.(*ruleCheck)
			if !ok {
				return
			}
			if ref.to = e.rules[ref.name]; ref.to == nil {
				errs = append(errs, errdefs.Invalidf("policy rule %q refers to rule %q, which does not exist", name, ref.name))
			}
		})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := e.checkCycles(); err != nil {
		return nil, err
	}
	return e, nil
}

// Load returns an enforcer of Zun's defaults overridden by the policy file
// at path: a JSON object (a file named *.json) or a YAML mapping (any other
// name) of rule names to check strings. An empty path gives the defaults;
// a missing file is an error.
func Load(path string) (*Enforcer, error) { return LoadProfile(ProfileZun, path) }

// readFile reads the overrides of the policy file at path; "": none.
func readFile(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w", err)
	}
	var raw map[string]any
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = json.Unmarshal(b, &raw)
	} else {
		err = yaml.UnmarshalStrict(b, &raw)
	}
	if err != nil {
		return nil, errdefs.Invalidf("policy file %s: want an object of rule names to check strings: %v", path, err)
	}
	overrides := make(map[string]string, len(raw))
	for name, v := range raw {
		s, ok := v.(string)
		if !ok {
			// oslo.policy would take a null as "always"; a
			// forgotten value must not open a rule.
			return nil, errdefs.Invalidf("policy file %s: rule %q: the check is %v, not a string (quote it; \"\" allows everybody)", path, name, v)
		}
		overrides[name] = s
	}
	return overrides, nil
}

// Authorize returns nil when p may perform rule on target, else an
// errdefs.ErrForbidden with Zun's message. A rule that does not exist is
// denied.
func (e *Enforcer) Authorize(p auth.Principal, rule string, target Target) error {
	if e.Allowed(p, rule, target) {
		return nil
	}
	return errdefs.Forbiddenf("Policy doesn't allow %s to be performed.", rule)
}

// Allowed reports whether p may perform rule on target.
func (e *Enforcer) Allowed(p auth.Principal, rule string, target Target) bool {
	r, ok := e.rules[rule]
	if !ok {
		return false
	}
	return r.check.eval(&env{e: e, p: p, target: target})
}

// Rules returns the effective rules, sorted by name.
func (e *Enforcer) Rules() []Rule {
	out := make([]Rule, 0, len(e.rules))
	for _, name := range e.names() {
		out = append(out, e.rules[name].Rule)
	}
	return out
}

func (e *Enforcer) names() []string {
	names := make([]string, 0, len(e.rules))
	for name := range e.rules {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// checkCycles fails when a rule depends on itself, through rule:NAME or
// through is_admin, which depends on context_is_admin.
func (e *Enforcer) checkCycles() error {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case done:
			return nil
		case onPath:
			i := slices.Index(path, name)
			return errdefs.Invalidf("policy rules refer to each other in a cycle: %s", strings.Join(append(path[i:], name), " -> "))
		}
		state[name] = onPath
		path = append(path, name)
		var deps []string
		e.rules[name].check.walk(func(c check) {
			switch c := c.(type) {
			case *ruleCheck:
				deps = append(deps, c.name)
			case isAdminCheck:
				deps = append(deps, contextIsAdmin)
			}
		})
		for _, d := range deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		return nil
	}
	for _, name := range e.names() {
		if err := visit(name); err != nil {
			return err
		}
	}
	return nil
}
