package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
)

// decodeObject decodes a request body that must be one JSON object.
// Numbers stay json.Number so that 512 and 512.0 can be told apart, as
// JSON Schema's "integer" does. A key given twice keeps its last value, as
// in Python's json module.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, bodyError("Malformed request body: it is empty; a JSON object is expected.")
		}
		return nil, bodyError("Malformed request body: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bodyError("Malformed request body: unexpected data after the JSON object.")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, bodyError("Malformed request body: a JSON object is expected, got %s.", kind(v))
	}
	return obj, nil
}

// asString reads a JSON string.
func asString(path string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fieldError(path, v, "Expected a string, got %s.", kind(v))
	}
	return s, nil
}

// asBoolean reads Zun's "boolean" parameter type: true or false, or one of
// the strings "True", "true", "False", "false". ("False" is false here;
// Zun stores tty and auto_heal as sent and its Boolean field makes any
// non-empty string true.)
func asBoolean(path string, v any) (bool, error) {
	switch v {
	case true, "True", "true":
		return true, nil
	case false, "False", "false":
		return false, nil
	}
	return false, fieldError(path, v, "Expected a boolean: true, false, 'True', 'true', 'False' or 'false'.")
}

// asArray reads a JSON array.
func asArray(path string, v any) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fieldError(path, v, "Expected an array, got %s.", kind(v))
	}
	return a, nil
}

// asObject reads a JSON object.
func asObject(path string, v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fieldError(path, v, "Expected an object, got %s.", kind(v))
	}
	return m, nil
}

// asStrings reads an array of strings.
func asStrings(path string, v any) ([]string, error) {
	a, err := asArray(path, v)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(a))
	for i, item := range a {
		s, err := asString(path+"["+strconv.Itoa(i)+"]", item)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// integer reads a whole number given as a JSON integer (not 1.0, not 1e3,
// as JSON Schema draft 4's "integer") or, when strings are allowed, as a
// string of digits (Zun's pattern ^[0-9]+$). A JSON integer may be
// negative, for the caller's range check to refuse; values beyond int64
// saturate, for the same reason.
func integer(v any, allowString bool) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
		if !isDigits(trimMinus(s)) {
			return 0, false
		}
	case string:
		if !allowString || !isDigits(x) {
			return 0, false
		}
		s = x
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil { // only out of range is left
		if s[0] == '-' {
			return math.MinInt64, true
		}
		return math.MaxInt64, true
	}
	return n, true
}

func trimMinus(s string) string {
	if len(s) > 0 && s[0] == '-' {
		return s[1:]
	}
	return s
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// truthy reports Python's truth of a decoded JSON value, which is what
// several of Zun's version checks test ("if mounts:").
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}
