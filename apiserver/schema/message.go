package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/errdefs"
)

// The shapes of every refusal, worded after Zun's so that clients and
// operators who know Zun's messages recognise them. The message is
// pre-formatted and passed through "%s": values may hold '%'.

// fieldError refuses a body field: path names it ("memory",
// "restart_policy.Name", "nets[1].port"), v is the value received.
func fieldError(path string, v any, format string, args ...any) error {
	msg := fmt.Sprintf("Invalid input for field '%s'. Value: %s. %s", path, show(v), fmt.Sprintf(format, args...))
	return errdefs.Invalidf("%s", msg)
}

// bodyError refuses the body as a whole.
func bodyError(format string, args ...any) error {
	return errdefs.Invalidf("%s", fmt.Sprintf(format, args...))
}

// queryError refuses a query parameter.
func queryError(name, value string, format string, args ...any) error {
	msg := fmt.Sprintf("Invalid input for query parameter '%s'. Value: %s. %s", name, show(value), fmt.Sprintf(format, args...))
	return errdefs.Invalidf("%s", msg)
}

// versionError refuses a field sent at a microversion older than the one
// that introduced it, in the words of Zun's InvalidParamInVersion.
func versionError(field string, v, since api.Version) error {
	return errdefs.Invalidf("Invalid param %s because current request version is %s. %s is only supported from version %s",
		field, v, field, since)
}

// maxShown bounds how much of a value a message repeats.
const maxShown = 64

// show renders a decoded JSON value for a message: strings in single
// quotes (escaped when they hold quotes or unprintable characters), other
// values as compact JSON, long ones cut short.
func show(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case nil:
		return "null"
	default:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			return fmt.Sprintf("%v", x)
		}
		s = strings.TrimSuffix(b.String(), "\n")
	}
	cut := false
	if utf8.RuneCountInString(s) > maxShown {
		r := []rune(s)
		s, cut = string(r[:maxShown]), true
	}
	if _, isString := v.(string); isString {
		if plain(s) {
			s = "'" + s + "'"
		} else {
			s = strconv.Quote(s)
		}
	}
	if cut {
		s += "..."
	}
	return s
}

// plain reports whether s can be shown between single quotes as is.
func plain(s string) bool {
	for _, r := range s {
		if r == '\'' || r == '\\' || r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// kind names the JSON type of a decoded value, for "got a ..." messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// quoteList renders allowed values for a message: 'a', 'b' or 'c'.
func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "'" + v + "'"
	}
	switch len(q) {
	case 0:
		return "(none)"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
