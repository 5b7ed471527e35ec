package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

// usageError is a mistake in the command line; zunctl exits with 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode ends zunctl with a status and no further message: what had to
// be said was printed already.
type exitCode int

func (e exitCode) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// exactArgs wants the positional arguments named in names, in order.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return usagef("missing %s", strings.Join(names[len(args):], " "))
		}
		if len(args) > len(names) {
			return usagef("unexpected argument %q", args[len(names)])
		}
		return nil
	}
}

// minArgs wants at least the arguments named in names.
func minArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return usagef("missing %s", strings.Join(names[len(args):], " "))
		}
		return nil
	}
}

// noSubcommand refuses arguments that name no subcommand of a group.
func noSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return usageError{errors.New(msg)}
}

// afterDash drops the "--" that may separate a command from the words
// before it, once flag parsing stopped at the first argument.
func afterDash(words []string) []string {
	if len(words) > 0 && words[0] == "--" {
		return words[1:]
	}
	return words
}

// keyValues parses repeated KEY=VALUE flags; a key given twice is an error.
func keyValues(flag string, items []string) (map[string]string, error) {
	if len(items) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(items))
	for _, it := range items {
		k, v, ok := strings.Cut(it, "=")
		if !ok || k == "" {
			return nil, usagef("--%s %q: want KEY=VALUE", flag, it)
		}
		if _, dup := m[k]; dup {
			return nil, usagef("--%s: key %q given twice", flag, k)
		}
		m[k] = v
	}
	return m, nil
}

// restartPolicy parses no | on-failure[:N] | always | unless-stopped.
func restartPolicy(s string) (*api.RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	switch name {
	case "no", "always", "unless-stopped":
		if hasCount {
			return nil, usagef("--restart %q: only on-failure takes a retry count", s)
		}
		return &api.RestartPolicy{Name: name, MaximumRetryCount: "0"}, nil
	case "on-failure":
		if !hasCount {
			return &api.RestartPolicy{Name: name, MaximumRetryCount: "0"}, nil
		}
		if n, err := strconv.Atoi(count); err != nil || n < 0 {
			return nil, usagef("--restart %q: the retry count must be a whole number", s)
		}
		return &api.RestartPolicy{Name: name, MaximumRetryCount: count}, nil
	}
	return nil, usagef("--restart %q: want no, on-failure[:N], always or unless-stopped", s)
}

// splitWords splits s into words as a POSIX shell does, without
// expansions: quotes group, backslashes escape.
func splitWords(s string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		quote   rune // 0, '\'' or '"'
		escaped bool
	)
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
			if r == '\n' {
				continue // a line continuation
			}
			if quote == '"' && !strings.ContainsRune("\\\"$`", r) {
				cur.WriteRune('\\')
			}
			cur.WriteRune(r)
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote == '"':
			if r == '"' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unterminated quote or escape in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// splitRepoTag splits REPO[:TAG]; a colon inside a registry host:port is
// part of the repository.
func splitRepoTag(s string) (repo, tag string) {
	i := strings.LastIndex(s, ":")
	if i < 0 || strings.Contains(s[i+1:], "/") {
		return s, ""
	}
	return s[:i], s[i+1:]
}
