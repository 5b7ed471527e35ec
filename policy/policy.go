// Package policy decides who may call which API operation, with the rules
// and the rule language of OpenStack's oslo.policy: Zun's rule names and
// default check strings (defaults.go), overridable from a policy file.
//
// A check string is built from
//
//	@  !                          always, never ("" is always too)
//	role:NAME                     the caller holds the role (any case)
//	rule:NAME                     another rule
//	is_admin:True                 the caller holds the admin role
//	FIELD:%(KEY)s                 the caller's FIELD (project_id, user_id,
//	                              domain_id) equals the target's KEY
//	FIELD:VALUE                   the caller's FIELD equals VALUE
//
// combined with not, and, or (in that precedence) and parentheses. Rules
// are parsed once, when loaded; a syntax error, an unknown rule reference
// or a cycle of references is a load error naming the rule.
package policy

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// Rule is a named check.
type Rule struct {
	Name        string
	Check       string
	Description string
}

// Target describes the object of a call: its "project_id", "user_id"...
type Target = map[string]string

// Defaults returns Zun's default rules.
func Defaults() []Rule { return append([]Rule(nil), defaults...) }

// Enforcer checks calls against a set of rules.
type Enforcer struct {
	rules map[string]check
	src   map[string]string
}

// New returns an enforcer of the default rules with overrides applied;
// overrides may also add rules.
func New(overrides map[string]string) (*Enforcer, error) {
	src := map[string]string{}
	for _, r := range defaults {
		src[r.Name] = r.Check
	}
	for name, c := range overrides {
		src[name] = c
	}
	e := &Enforcer{rules: map[string]check{}, src: src}
	for name, text := range src {
		c, err := parse(text)
		if err != nil {
			return nil, fmt.Errorf("policy rule %q: %w", name, err)
		}
		e.rules[name] = c
	}
	for _, name := range sortedKeys(src) {
		if err := e.checkRefs(name, nil); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Load returns an enforcer of the defaults overridden by the policy file
// at path, a YAML or JSON object of rule names to check strings. An empty
// path gives the defaults.
func Load(path string) (*Enforcer, error) {
	if path == "" {
		return New(nil)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w", err)
	}
	var overrides map[string]string
	if err := json.Unmarshal(b, &overrides); err != nil {
		if yerr := yaml.Unmarshal(b, &overrides); yerr != nil {
			return nil, fmt.Errorf("policy file %s: want a YAML or JSON object of rule names to check strings: %v", path, yerr)
		}
	}
	e, err := New(overrides)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return e, nil
}

// checkRefs fails on references to unknown rules and on cycles.
func (e *Enforcer) checkRefs(name string, path []string) error {
	for _, p := range path {
		if p == name {
			return fmt.Errorf("policy rules refer to each other in a cycle: %s", strings.Join(append(path, name), " -> "))
		}
	}
	c, ok := e.rules[name]
	if !ok {
		return fmt.Errorf("policy rule %q refers to rule %q, which does not exist", path[len(path)-1], name)
	}
	for _, ref := range c.refs(nil) {
		if err := e.checkRefs(ref, append(path, name)); err != nil {
			return err
		}
	}
	return nil
}

// Authorize returns nil when p may perform rule on target, else an
// errdefs.ErrForbidden in Zun's words. An unknown rule is refused.
func (e *Enforcer) Authorize(p auth.Principal, rule string, target Target) error {
	if e.Allowed(p, rule, target) {
		return nil
	}
	return errdefs.Forbiddenf("Policy doesn't allow %s to be performed.", rule)
}

// Allowed reports whether p may perform rule on target.
func (e *Enforcer) Allowed(p auth.Principal, rule string, target Target) bool {
	c, ok := e.rules[rule]
	if !ok {
		return false
	}
	return c.eval(&env{e: e, p: p, target: target})
}

// Rules returns the effective rules, sorted by name.
func (e *Enforcer) Rules() []Rule {
	desc := map[string]string{}
	for _, r := range defaults {
		desc[r.Name] = r.Description
	}
	var out []Rule
	for _, name := range sortedKeys(e.src) {
		out = append(out, Rule{Name: name, Check: e.src[name], Description: desc[name]})
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
