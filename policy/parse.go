package policy

import (
	"fmt"
	"strings"
)

// parse turns a check string into a check. Rule references are left
// unlinked; the enforcer links them once every rule is parsed.
func parse(s string) (check, error) {
	toks := tokenize(s)
	if len(toks) == 0 {
		return constCheck(true), nil // "" allows, as in oslo.policy
	}
	p := &parser{toks: toks}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	return c, nil
}

// tokenize splits s at white space. Parentheses at the start or end of a
// word are tokens of their own; those inside a word, as in
// %(project_id)s, are not. and, or, not are recognized in any case.
func tokenize(s string) []string {
	var toks []string
	for _, w := range strings.Fields(s) {
		for strings.HasPrefix(w, "(") {
			toks = append(toks, "(")
			w = w[1:]
		}
		closing := 0
		// A substitution ends in ")s", never in ")", so trailing
		// parentheses always close a group.
		for strings.HasSuffix(w, ")") {
			closing++
			w = w[:len(w)-1]
		}
		if w != "" {
			switch l := strings.ToLower(w); l {
			case "and", "or", "not":
				w = l
			}
			toks = append(toks, w)
		}
		for ; closing > 0; closing-- {
			toks = append(toks, ")")
		}
	}
	return toks
}

// parser is a recursive descent over the grammar
//
//	or   = and { "or" and }
//	and  = not { "and" not }
//	not  = "not" not | atom
//	atom = "(" or ")" | "@" | "!" | KIND ":" VALUE
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
	for p.peek() == "or" {
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
	for p.peek() == "and" {
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
	if p.peek() == "not" {
		p.pos++
		c, err := p.not()
		if err != nil {
			return nil, err
		}
		return notCheck{c}, nil
	}
	return p.atom()
}

func (p *parser) atom() (check, error) {
	t := p.peek()
	switch t {
	case "":
		return nil, fmt.Errorf("unexpected end")
	case "(":
		p.pos++
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return c, nil
	case ")", "and", "or":
		return nil, fmt.Errorf("unexpected %q", t)
	}
	p.pos++
	return parseAtom(t)
}

// parseAtom parses one check: @, ! or KIND:VALUE.
func parseAtom(t string) (check, error) {
	switch t {
	case "@":
		return constCheck(true), nil
	case "!":
		return constCheck(false), nil
	}
	kind, val, ok := strings.Cut(t, ":")
	if !ok || kind == "" || val == "" {
		return nil, fmt.Errorf("%q is not a check: want @, !, or kind:value", t)
	}
	switch kind {
	case "role":
		return roleCheck(val), nil
	case "rule":
		return &ruleCheck{name: val}, nil
	case "is_admin":
		switch val {
		case "True":
			return isAdminCheck(true), nil
		case "False":
			return isAdminCheck(false), nil
		}
		return nil, fmt.Errorf("%q: is_admin is True or False", t)
	case "project_id", "user_id":
		if strings.HasPrefix(val, "%(") && strings.HasSuffix(val, ")s") {
			key := val[2 : len(val)-2]
			if key == "" {
				return nil, fmt.Errorf("%q: empty substitution", t)
			}
			return fieldCheck{field: kind, targetKey: key}, nil
		}
		if strings.Contains(val, "%(") {
			return nil, fmt.Errorf("%q: a substitution is %%(key)s", t)
		}
		return fieldCheck{field: kind, literal: unquote(val)}, nil
	}
	return nil, fmt.Errorf("%q: unknown kind %q (want role, rule, is_admin, project_id or user_id)", t, kind)
}

// unquote strips one pair of matching quotes: project_id:'abc' is abc.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}
