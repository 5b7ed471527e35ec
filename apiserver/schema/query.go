package schema

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Query parameters of the container actions. Each helper takes the raw
// value (url.Values.Get) and refuses it with an errdefs.ErrInvalid naming
// the parameter. Whether an absent parameter gets a default is the
// caller's choice (url.Values.Has), except where noted.

// nameRule is the rule of container (and registry) names, for messages.
const nameRule = "A name is 2 to 255 characters among letters, digits, '_', '.' and '-', starting with a letter or digit."

// ValidName matches Zun's container_name: ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$,
// 2 to 255 characters.
func ValidName(s string) bool {
	if len(s) < 2 || len(s) > 255 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-' {
			return false
		}
	}
	return true
}

// Name checks a container name given as the query parameter "name"
// (POST .../rename, 1.1 to 1.13).
func Name(value string) error {
	if !ValidName(value) {
		return queryError("name", value, "%s", nameRule)
	}
	return nil
}

// boolWords are oslo's strutils.bool_from_string words, matched
// case-insensitively after trimming spaces.
var boolWords = map[string]bool{
	"1": true, "t": true, "true": true, "on": true, "y": true, "yes": true,
	"0": false, "f": false, "false": false, "off": false, "n": false, "no": false,
}

// Bool parses the boolean query parameter name (run, force, stop,
// all_projects, stdout, interactive...): 1, t, true, on, y, yes or 0, f,
// false, off, n, no, in any case.
func Bool(name, value string) (bool, error) {
	b, ok := boolWords[strings.ToLower(strings.TrimSpace(value))]
	if !ok {
		return false, queryError(name, value, "Valid values are 1, t, true, on, y, yes and 0, f, false, off, n, no, in any case.")
	}
	return b, nil
}

// Timeout parses the "timeout" of stop and reboot: a non-negative whole
// number of seconds.
func Timeout(value string) (int, error) {
	n, ok := count(value)
	if !ok {
		return 0, queryError("timeout", value, "The timeout is a whole number of seconds, from 0 to %d.", math.MaxInt32)
	}
	return n, nil
}

// count parses a string of digits up to MaxInt32.
func count(value string) (int, bool) {
	if !isDigits(value) {
		return 0, false
	}
	n, err := strconv.Atoi(value)
	if err != nil || n > math.MaxInt32 {
		return 0, false
	}
	return n, true
}

// Tail parses the "tail" of logs: "all" or a number of lines. It returns
// "all" or the number in decimal.
func Tail(value string) (string, error) {
	if value == "all" {
		return value, nil
	}
	n, ok := count(value)
	if !ok {
		return "", queryError("tail", value, "The tail is 'all' or a number of lines.")
	}
	return strconv.Itoa(n), nil
}

// maxEpoch is 9999-12-31T23:59:59Z, beyond which a since is absurd.
const maxEpoch = 253402300799

// Since parses the "since" of logs: seconds since the epoch, or a UTC time
// as "YYYY-MM-DD HH:MM:SS,fff" (1 to 6 digits of fraction, Python's
// %Y-%m-%d %H:%M:%S,%f). "None", as python-zunclient may send, is the
// zero time: all the logs.
func Since(value string) (time.Time, error) {
	if value == "None" {
		return time.Time{}, nil
	}
	if isDigits(value) {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n > maxEpoch {
			return time.Time{}, queryError("since", value, "The epoch is too far in the future.")
		}
		return time.Unix(n, 0).UTC(), nil
	}
	bad := queryError("since", value, "Since is seconds since the epoch, or a UTC time as 'YYYY-MM-DD HH:MM:SS,mmm'.")
	date, frac, ok := strings.Cut(value, ",")
	if !ok || len(date) != len("2006-01-02 15:04:05") || len(frac) < 1 || len(frac) > 6 || !isDigits(frac) {
		return time.Time{}, bad
	}
	t, err := time.Parse("2006-01-02 15:04:05", date)
	if err != nil {
		return time.Time{}, bad
	}
	micros, _ := strconv.Atoi(frac + strings.Repeat("0", 6-len(frac)))
	return t.Add(time.Duration(micros) * time.Microsecond), nil
}

// Limit parses the "limit" of a list: a positive integer, capped at maxLimit
// (Zun's [api] max_limit). Empty is maxLimit.
func Limit(value string, maxLimit int) (int, error) {
	if value == "" {
		return maxLimit, nil
	}
	if !isDigits(value) {
		return 0, queryError("limit", value, "Limit must be positive integer.")
	}
	n, err := strconv.Atoi(value)
	if err != nil { // beyond int: the cap applies
		n = math.MaxInt
	}
	if n <= 0 {
		return 0, queryError("limit", value, "Limit must be positive integer.")
	}
	if maxLimit > 0 && n > maxLimit {
		n = maxLimit
	}
	return n, nil
}

// SortDir parses the "sort_dir" of a list: "asc" or "desc". Empty is
// "asc".
func SortDir(value string) (string, error) {
	switch value {
	case "":
		return "asc", nil
	case "asc", "desc":
		return value, nil
	}
	return "", queryError("sort_dir", value, "Acceptable values are 'asc' or 'desc'.")
}

// ExecCommand parses the "command" of execute: a command line, split into
// arguments as a POSIX shell would (Python's shlex.split).
func ExecCommand(value string) ([]string, error) {
	args, err := shellSplit(value)
	if err != nil {
		return nil, queryError("command", value, "The command cannot be split into arguments: %s.", err)
	}
	if len(args) == 0 {
		return nil, queryError("command", value, "A command to execute is required.")
	}
	return args, nil
}

// ClassName checks a quota class name: 1 to 255 characters, no "/".
func ClassName(name string) error {
	if name == "" || len(name) > 255 || strings.ContainsAny(name, "/\x00") {
		return queryError("quota_class_name", name, "%s", "1 to 255 characters, no '/'")
	}
	return nil
}
