package policy

import (
	"strings"

	"github.com/zun-go/zun/auth"
)

// env is what a check is evaluated against: the caller, the object and the
// enforcer (for is_admin, which is the context_is_admin rule).
type env struct {
	e      *Enforcer
	p      auth.Principal
	target Target
}

// check is a parsed check string. References to other rules are resolved
// to pointers at load time, so evaluation never looks a name up.
type check interface {
	eval(*env) bool
	// walk calls fn for every check in the tree, the check itself first.
	walk(fn func(check))
}

// constCheck is @ (true) or ! (false).
type constCheck bool

func (c constCheck) eval(*env) bool      { return bool(c) }
func (c constCheck) walk(fn func(check)) { fn(c) }

type notCheck struct{ c check }

func (c notCheck) eval(v *env) bool { return !c.c.eval(v) }
func (c notCheck) walk(fn func(check)) {
	fn(c)
	c.c.walk(fn)
}

type andCheck []check

func (c andCheck) eval(v *env) bool {
	for _, x := range c {
		if !x.eval(v) {
			return false
		}
	}
	return true
}

func (c andCheck) walk(fn func(check)) {
	fn(c)
	for _, x := range c {
		x.walk(fn)
	}
}

type orCheck []check

func (c orCheck) eval(v *env) bool {
	for _, x := range c {
		if x.eval(v) {
			return true
		}
	}
	return false
}

func (c orCheck) walk(fn func(check)) {
	fn(c)
	for _, x := range c {
		x.walk(fn)
	}
}

// roleCheck is role:NAME; roles compare without regard to case, as in
// oslo.policy.
type roleCheck string

func (c roleCheck) eval(v *env) bool {
	for _, r := range v.p.Roles {
		if strings.EqualFold(r, string(c)) {
			return true
		}
	}
	return false
}

func (c roleCheck) walk(fn func(check)) { fn(c) }

// ruleCheck is rule:NAME. to is set when the enforcer links its rules.
type ruleCheck struct {
	name string
	to   *compiled
}

func (c *ruleCheck) eval(v *env) bool {
	// to is nil only if linking failed, and then New returned an error.
	return c.to != nil && c.to.check.eval(v)
}

func (c *ruleCheck) walk(fn func(check)) { fn(c) }

// isAdminCheck is is_admin:True or is_admin:False. As in Zun, a caller is
// an admin when they pass the context_is_admin rule (role:admin unless
// overridden).
type isAdminCheck bool

func (c isAdminCheck) eval(v *env) bool {
	admin, ok := v.e.rules[contextIsAdmin]
	if !ok {
		return false
	}
	// Zun evaluates context_is_admin against an empty target.
	is := admin.check.eval(&env{e: v.e, p: v.p, target: Target{}})
	return is == bool(c)
}

func (c isAdminCheck) walk(fn func(check)) { fn(c) }

// fieldCheck is FIELD:%(KEY)s (the caller's FIELD equals the target's KEY)
// or FIELD:VALUE (it equals VALUE).
type fieldCheck struct {
	field     string // "project_id" or "user_id"
	targetKey string // KEY of %(KEY)s, or ""
	literal   string
}

func (c fieldCheck) eval(v *env) bool {
	var have string
	switch c.field {
	case "project_id":
		have = v.p.ProjectID
	case "user_id":
		have = v.p.UserID
	}
	want := c.literal
	if c.targetKey != "" {
		want = v.target[c.targetKey]
	}
	// An empty value never matches: a target without project_id is
	// nobody's, and a caller without a project owns nothing.
	return have != "" && have == want
}

func (c fieldCheck) walk(fn func(check)) { fn(c) }
