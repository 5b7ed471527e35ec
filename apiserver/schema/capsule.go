package schema

import (
	"math"
	"slices"
	"unicode/utf8"
)

// Exported checks, shared by the container create body and the capsule
// template (package capsule), which has the same fields under other names
// and deeper paths ("spec.containers[1].image"). Each takes the path that
// a refusal names and the decoded JSON value (numbers as json.Number), and
// refuses with an errdefs.ErrInvalid.

// FieldError refuses the value v of the field at path, in the words of
// every other refusal of this package.
func FieldError(path string, v any, format string, args ...any) error {
	return fieldError(path, v, format, args...)
}

// BodyError refuses a body (or template) as a whole.
func BodyError(format string, args ...any) error {
	return bodyError(format, args...)
}

// DecodeObject decodes JSON text that must be one object, with numbers
// kept as json.Number.
func DecodeObject(body []byte) (map[string]any, error) {
	return decodeObject(body)
}

// Kind names the JSON type of a decoded value ("a string", "an array"...).
func Kind(v any) string { return kind(v) }

// SortedKeys returns the keys of m in order, so that the first fault of
// an object is the same on every request.
func SortedKeys(m map[string]any) []string { return sortedKeys(m) }

// String reads a JSON string.
func String(path string, v any) (string, error) { return asString(path, v) }

// Strings reads an array of strings.
func Strings(path string, v any) ([]string, error) { return asStrings(path, v) }

// Array reads a JSON array.
func Array(path string, v any) ([]any, error) { return asArray(path, v) }

// Object reads a JSON object.
func Object(path string, v any) (map[string]any, error) { return asObject(path, v) }

// Boolean reads Zun's "boolean" type: true, false, "True", "true",
// "False" or "false".
func Boolean(path string, v any) (bool, error) { return asBoolean(path, v) }

// StringMap reads an object|null of labels or annotations: numbers and
// booleans become strings as Python's str() makes them, other values are
// refused.
func StringMap(path string, v any) (map[string]string, error) { return stringMap(path, v) }

// Integer reads a whole number given as a JSON integer or, when
// allowString, as a string of digits.
func Integer(v any, allowString bool) (int64, bool) { return integer(v, allowString) }

// Image checks an image as the create body's "image": 2 to 255
// characters, Zun's pattern, and a reference Docker can pull.
func Image(path string, v any) (string, error) {
	s, err := asString(path, v)
	if err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n < 2 || n > 255 {
		return "", fieldError(path, v, "An image is 2 to 255 characters long.")
	}
	if !hasImageNamePair(s) {
		return "", fieldError(path, v, "An image must hold two consecutive characters among letters, digits, '_', '.' and '-', the first a letter or digit.")
	}
	if _, reason := parseImageRef(s); reason != "" {
		return "", fieldError(path, v, "Invalid image reference: %s.", reason)
	}
	return s, nil
}

// ContainerName checks a string|null as Zun's container_name; null is "".
func ContainerName(path string, v any) (string, error) {
	if v == nil {
		return "", nil
	}
	s, err := asString(path, v)
	if err != nil {
		return "", err
	}
	if !ValidName(s) {
		return "", fieldError(path, v, "%s", nameRule)
	}
	return s, nil
}

// CPU checks a number|string of vCPUs within the limits, as "cpu".
func CPU(path string, v any, l Limits) (float64, error) { return cpuValue(path, v, l) }

// Memory checks an integer|string of digits of MiB within the limits, as
// "memory".
func Memory(path string, v any, l Limits) (int64, error) { return memoryValue(path, v, l) }

// Environment checks an object|null of string values, as "environment";
// a value at key k is refused under path.k.
func Environment(path string, v any) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	m, err := asObject(path, v)
	if err != nil {
		return nil, err
	}
	env := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		s, ok := m[k].(string)
		if !ok {
			return nil, fieldError(path+"."+k, m[k], "Environment values are strings, got %s.", kind(m[k]))
		}
		env[k] = s
	}
	if len(env) == 0 {
		return nil, nil
	}
	return env, nil
}

// ImagePullPolicy checks a string|null among Zun's pull policies and
// returns it as sent ("" for null).
func ImagePullPolicy(path string, v any) (string, error) {
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok || !slices.Contains(pullPolicies, s) {
		return "", fieldError(path, v, "The image pull policy is one of %s, or null.", quoteList(pullPolicies))
	}
	return s, nil
}

// AvailabilityZone checks a string of 1 to 255 characters.
func AvailabilityZone(path string, v any) (string, error) {
	s, err := asString(path, v)
	if err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n < 1 || n > 255 {
		return "", fieldError(path, v, "An availability zone is 1 to 255 characters long.")
	}
	return s, nil
}

// Port checks a port number, an integer or a string of digits, from min
// to 65535.
func Port(path string, v any, min int64) (int, error) {
	n, ok := integer(v, true)
	if !ok || n < min || n > 65535 {
		return 0, fieldError(path, v, "A port is a whole number from %d to 65535, as an integer or a string of digits.", min)
	}
	return int(n), nil
}

// Quote renders allowed values for a message: 'a', 'b' or 'c'.
func Quote(values ...string) string { return quoteList(values) }

// maxInt32 bounds counts and sizes that a runtime keeps in 32 bits.
const maxInt32 = math.MaxInt32

// Size checks a whole number of GiB (a JSON integer), at least 1.
func Size(path string, v any) (int, error) {
	n, ok := integer(v, false)
	if !ok || n < 1 || n > maxInt32 {
		return 0, fieldError(path, v, "The size of a new volume is a whole number of GiB, at least 1.")
	}
	return int(n), nil
}
