package schema

import (
	"errors"
	"strings"
)

// shellSplit splits a command line into arguments as Python's
// shlex.split does (POSIX mode, no comments), which is how Zun turns the
// string commands of microversions before 1.20, and exec commands, into
// argument lists:
//
//   - space, tab, CR and LF separate arguments;
//   - inside '...' every character is literal;
//   - inside "..." a backslash escapes only '"' and '\'; before any other
//     character it is kept;
//   - elsewhere a backslash escapes the next character, whatever it is;
//   - quoted parts join the word around them, and "" is an empty argument.
//
// The errors are Python's, lowercased: "no closing quotation", "no escaped
// character".
func shellSplit(s string) ([]string, error) {
	var (
		args   []string
		word   strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case ' ', '\t', '\r', '\n':
			if inWord {
				args = append(args, word.String())
				word.Reset()
				inWord = false
			}
		case '\\':
			if i+1 == len(s) {
				return nil, errNoEscaped
			}
			i++
			word.WriteByte(s[i])
			inWord = true
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errNoClosing
			}
			word.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case '"':
			j, err := doubleQuoted(s, i+1, &word)
			if err != nil {
				return nil, err
			}
			i = j
			inWord = true
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		args = append(args, word.String())
	}
	return args, nil
}

var (
	errNoClosing = errors.New("no closing quotation")
	errNoEscaped = errors.New("no escaped character")
)

// doubleQuoted copies the inside of a "..." starting at s[i] into w and
// returns the index of the closing quote.
func doubleQuoted(s string, i int, w *strings.Builder) (int, error) {
	for ; i < len(s); i++ {
		switch s[i] {
		case '"':
			return i, nil
		case '\\':
			if i+1 == len(s) {
				return 0, errNoEscaped
			}
			i++
			if s[i] != '"' && s[i] != '\\' {
				w.WriteByte('\\')
			}
			w.WriteByte(s[i])
		default:
			w.WriteByte(s[i])
		}
	}
	return 0, errNoClosing
}
