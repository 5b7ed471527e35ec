package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/zun-go/zun/auth"
)

// env is what a check is evaluated against.
type env struct {
	e      *Enforcer
	p      auth.Principal
	target Target
	depth  int
}

// check is a parsed check string.
type check interface {
	eval(*env) bool
	// refs appends the rules it refers to.
	refs([]string) []string
}

type constCheck bool

func (c constCheck) eval(*env) bool           { return bool(c) }
func (c constCheck) refs(r []string) []string { return r }

type notCheck struct{ c check }

func (c notCheck) eval(v *env) bool         { return !c.c.eval(v) }
func (c notCheck) refs(r []string) []string { return c.c.refs(r) }

type andCheck []check

func (c andCheck) eval(v *env) bool {
	for _, x := range c {
		if !x.eval(v) {
			return false
		}
	}
	return true
}

func (c andCheck) refs(r []string) []string {
	for _, x := range c {
		r = x.refs(r)
	}
	return r
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

func (c orCheck) refs(r []string) []string {
	for _, x := range c {
		r = x.refs(r)
	}
	return r
}

type roleCheck string

func (c roleCheck) eval(v *env) bool {
	for _, r := range v.p.Roles {
		if strings.EqualFold(r, string(c)) {
			return true
		}
	}
	return false
}
func (c roleCheck) refs(r []string) []string { return r }

type ruleCheck string

func (c ruleCheck) eval(v *env) bool {
	sub, ok := v.e.rules[string(c)]
	if !ok || v.depth > 32 {
		return false
	}
	return sub.eval(&env{e: v.e, p: v.p, target: v.target, depth: v.depth + 1})
}
func (c ruleCheck) refs(r []string) []string { return append(r, string(c)) }

// fieldCheck compares a field of the caller with a target value or a
// literal.
type fieldCheck struct {
	field     string
	targetKey string // from %(key)s
	literal   string
}

func (c fieldCheck) eval(v *env) bool {
	var have string
	switch c.field {
	case "project_id":
		have = v.p.ProjectID
	case "user_id":
		have = v.p.UserID
	case "domain_id", "user_domain_id":
		have = v.p.DomainID
	case "is_admin":
		have = "False"
		if v.p.IsAdmin() {
			have = "True"
		}
	default:
		return false
	}
	want := c.literal
	if c.targetKey != "" {
		t, ok := v.target[c.targetKey]
		if !ok || t == "" {
			return false
		}
		want = t
	}
	if c.field == "is_admin" {
		return strings.EqualFold(have, want)
	}
	return have != "" && have == want
}
func (c fieldCheck) refs(r []string) []string { return r }

// parse parses a check string.
func parse(s string) (check, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return constCheck(true), nil
	}
	p := &parser{toks: toks}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q in %q", p.toks[p.pos], s)
	}
	return c, nil
}

// tokenize splits at spaces; parentheses at the start or end of a word are
// tokens of their own (those inside, as in %(project_id)s, are not).
func tokenize(s string) ([]string, error) {
	var toks []string
	for _, f := range strings.Fields(s) {
		for strings.HasPrefix(f, "(") {
			toks = append(toks, "(")
			f = f[1:]
		}
		var closing int
		for strings.HasSuffix(f, ")") { // a substitution ends in ")s", never ")"
			closing++
			f = f[:len(f)-1]
		}
		if f != "" {
			toks = append(toks, f)
		}
		for ; closing > 0; closing-- {
			toks = append(toks, ")")
		}
	}
	return toks, nil
}

type parser struct {
	toks []string
	pos  int
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *parser) or() (check, error) {
	c, err := p.and()
	if err != nil {
		return nil, err
	}
	alts := orCheck{c}
	for strings.EqualFold(p.peek(), "or") {
		p.pos++
		c, err := p.and()
		if err != nil {
			return nil, err
		}
		alts = append(alts, c)
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return alts, nil
}

func (p *parser) and() (check, error) {
	c, err := p.not()
	if err != nil {
		return nil, err
	}
	all := andCheck{c}
	for strings.EqualFold(p.peek(), "and") {
		p.pos++
		c, err := p.not()
		if err != nil {
			return nil, err
		}
		all = append(all, c)
	}
	if len(all) == 1 {
		return all[0], nil
	}
	return all, nil
}

func (p *parser) not() (check, error) {
	if strings.EqualFold(p.peek(), "not") {
		p.pos++
		c, err := p.not()
		if err != nil {
			return nil, err
		}
		return notCheck{c}, nil
	}
	return p.atom()
}

var errEnd = errors.New("unexpected end of the check string")

func (p *parser) atom() (check, error) {
	t := p.peek()
	switch {
	case t == "":
		return nil, errEnd
	case t == "(":
		p.pos++
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, errors.New("missing )")
		}
		p.pos++
		return c, nil
	case t == ")" || strings.EqualFold(t, "and") || strings.EqualFold(t, "or"):
		return nil, fmt.Errorf("unexpected %q", t)
	}
	p.pos++
	switch t {
	case "@":
		return constCheck(true), nil
	case "!":
		return constCheck(false), nil
	}
	kind, val, ok := strings.Cut(t, ":")
	if !ok || kind == "" || val == "" {
		return nil, fmt.Errorf("%q is not a check (want kind:value, @ or !)", t)
	}
	switch kind {
	case "role":
		return roleCheck(val), nil
	case "rule":
		return ruleCheck(val), nil
	case "project_id", "user_id", "domain_id", "user_domain_id", "is_admin":
		if strings.HasPrefix(val, "%(") && strings.HasSuffix(val, ")s") {
			return fieldCheck{field: kind, targetKey: val[2 : len(val)-2]}, nil
		}
		return fieldCheck{field: kind, literal: strings.Trim(val, `'"`)}, nil
	}
	return nil, fmt.Errorf("unknown check kind %q in %q", kind, t)
}
