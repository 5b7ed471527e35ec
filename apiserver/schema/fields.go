package schema

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/driver"
)

// The create body's fields of the container itself: image, command,
// resources, environment and restart policy. Zun's types are noted as
// "string|null" and the like; null means "not given" wherever it is
// allowed.

// parseImage: string of 2 to 255 characters holding two consecutive
// characters of [a-zA-Z0-9][a-zA-Z0-9_.-] (Zun's unanchored pattern), and a
// Docker image reference (Zun parses the reference only on the compute
// host, so a bad one gives a container in Error instead of a 400). The
// image is kept as sent: the compute host adds the default registry and
// the "latest" tag when it pulls, as Zun's parse_image_name does.
func parseImage(c *creator, v any) error {
	s, err := Image("image", v)
	c.c.Image = s
	return err
}

func hasImageNamePair(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if isAlnum(s[i]) && (isAlnum(s[i+1]) || s[i+1] == '_' || s[i+1] == '.' || s[i+1] == '-') {
			return true
		}
	}
	return false
}

// parseName: string|null, Zun's container name. Null or absent leaves the
// name empty, for the handler to generate one.
func parseName(c *creator, v any) error {
	s, err := ContainerName("name", v)
	c.c.Name = s
	return err
}

// parseCommand: before 1.20 a string|null split as a POSIX shell would
// (Python's shlex.split; Zun answers 500 to an unbalanced quote), from
// 1.20 an array of strings or null (Zun does not check the items).
func parseCommand(c *creator, v any) error {
	if v == nil {
		return nil
	}
	if c.v.Less(api.V(20)) {
		s, ok := v.(string)
		if !ok {
			return fieldError("command", v, "Expected a string (a shell-quoted command line) before API version 1.20, got %s; arrays are accepted from 1.20.", kind(v))
		}
		args, err := shellSplit(s)
		if err != nil {
			return fieldError("command", v, "The command cannot be split into arguments: %s.", err)
		}
		c.c.Command = args
		return nil
	}
	if _, ok := v.(string); ok {
		return fieldError("command", v, "Expected an array of strings from API version 1.20, got a string; a string command is accepted only before 1.20.")
	}
	args, err := asStrings("command", v)
	c.c.Command = args
	return err
}

// parseEntrypoint: array of strings or null (1.40).
func parseEntrypoint(c *creator, v any) error {
	if v == nil {
		return nil
	}
	args, err := asStrings("entrypoint", v)
	c.c.Entrypoint = args
	return err
}

// parseCPU: number|string|null within [MinCPU, MaxCPU]; a string matches
// ^[0-9]*(\.[0-9]+)?$ and is not empty. Null is the default cpu (Zun
// stores None and fails in its quota check).
func parseCPU(c *creator, v any) error {
	if v == nil {
		return nil
	}
	f, err := cpuValue("cpu", v, c.l)
	c.c.CPU = f
	return err
}

func cpuValue(path string, v any, l Limits) (float64, error) {
	var text string
	switch x := v.(type) {
	case json.Number:
		text = string(x)
	case string:
		if !isDecimal(x) {
			return 0, fieldError(path, v, "The cpu is a number of vCPUs, such as 1 or 0.5, as a number or a string of digits.")
		}
		text = x
	default:
		return 0, fieldError(path, v, "Expected a number or a string of digits, got %s.", kind(v))
	}
	f, err := strconv.ParseFloat(text, 64)
	if (err != nil && !isRange(err)) || math.IsNaN(f) {
		return 0, fieldError(path, v, "The cpu is a number of vCPUs, such as 1 or 0.5.")
	}
	if f < l.MinCPU || f > l.MaxCPU || math.IsInf(f, 0) {
		return 0, fieldError(path, v, "The cpu must be between %g and %g vCPUs.", l.MinCPU, l.MaxCPU)
	}
	return f, nil
}

// isDecimal matches ^[0-9]*(\.[0-9]+)?$ on a non-empty string.
func isDecimal(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == len(s) {
		return i > 0
	}
	return s[i] == '.' && isDigits(s[i+1:])
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func parseCPUPolicy(c *creator, v any) error {
	if v != "dedicated" && v != "shared" {
		return fieldError("cpu_policy", v, "The cpu policy is 'dedicated' or 'shared'.")
	}
	c.c.CPUPolicy = v.(string)
	return nil
}

// parseMemory: integer|string of digits|null, MiB within [MinMemory,
// MaxMemory].
func parseMemory(c *creator, v any) error {
	if v == nil {
		return nil
	}
	n, err := memoryValue("memory", v, c.l)
	c.c.Memory = n
	return err
}

func memoryValue(path string, v any, l Limits) (int64, error) {
	n, ok := integer(v, true)
	if !ok {
		return 0, fieldError(path, v, "The memory is a whole number of MiB: an integer or a string of digits.")
	}
	if n < l.MinMemory || n > l.MaxMemory {
		return 0, fieldError(path, v, "The memory must be between %d and %d MiB.", l.MinMemory, l.MaxMemory)
	}
	return n, nil
}

// parseDisk: integer|string of digits|null, GiB within [MinDisk, MaxDisk].
func parseDisk(c *creator, v any) error {
	if v == nil {
		return nil
	}
	n, ok := integer(v, true)
	if !ok {
		return fieldError("disk", v, "The disk is a whole number of GiB: an integer or a string of digits.")
	}
	if n < int64(c.l.MinDisk) || n > int64(c.l.MaxDisk) {
		return fieldError("disk", v, "The disk must be between %d and %d GiB.", c.l.MinDisk, c.l.MaxDisk)
	}
	c.c.Disk = int(n)
	return nil
}

func parseWorkdir(c *creator, v any) error {
	if v == nil {
		return nil
	}
	s, err := asString("workdir", v)
	c.c.Workdir = s
	return err
}

// parseEnvironment: object|null of string values (Zun's schema skips the
// empty key; here every value is checked).
func parseEnvironment(c *creator, v any) error {
	env, err := Environment("environment", v)
	c.c.Environment = env
	return err
}

func parseLabels(c *creator, v any) error {
	m, err := stringMap("labels", v)
	if err != nil {
		return err
	}
	// The one label the service reads itself: a host refuses a limit
	// above its maximum when it places the container, but one that is no
	// limit at all is a mistake of the request.
	if raw, ok := m[driver.LabelPidsLimit]; ok {
		if n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64); err != nil || n < 1 {
			return fieldError("labels", v, "Label %s must be a number of processes of at least 1.", driver.LabelPidsLimit)
		}
	}
	c.c.Labels = m
	return nil
}

func parseHints(c *creator, v any) error {
	m, err := stringMap("hints", v)
	c.c.Hints = m
	return err
}

// stringMap reads an object|null whose values Zun keeps as strings: a
// number becomes its JSON text and a boolean "True" or "False", as
// Python's str() makes of them; other values are refused.
func stringMap(path string, v any) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	m, err := asObject(path, v)
	if err != nil || len(m) == 0 {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		switch x := val.(type) {
		case string:
			out[k] = x
		case json.Number:
			out[k] = string(x)
		case bool:
			out[k] = map[bool]string{true: "True", false: "False"}[x]
		default:
			return nil, fieldError(path+"."+k, val, "The values of %s are strings (numbers and booleans are turned into strings), got %s.", path, kind(val))
		}
	}
	return out, nil
}
