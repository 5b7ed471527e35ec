package schema

import (
	"math"
	"slices"
	"sort"

	"github.com/zun-go/zun/container"
)

// The create body's fields of the container's lifecycle: restart policy
// and health check.

var restartPolicies = []string{"no", "always", "on-failure", "unless-stopped"}

// parseRestartPolicy: object|null {Name (required, an enum),
// MaximumRetryCount (integer|string of digits|null, >= 0)}, nothing else.
// Policies always and unless-stopped take no retry count but 0, and "no"
// forces it to 0, as Zun's check_for_restart_policy does.
func parseRestartPolicy(c *creator, v any) error {
	if v == nil {
		return nil
	}
	m, err := asObject("restart_policy", v)
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(m) {
		if k != "Name" && k != "MaximumRetryCount" {
			return fieldError("restart_policy", v, "Unexpected key '%s': a restart policy has only Name and MaximumRetryCount.", k)
		}
	}
	raw, ok := m["Name"]
	if !ok {
		return fieldError("restart_policy", v, "'Name' is a required property.")
	}
	name, _ := raw.(string)
	if !slices.Contains(restartPolicies, name) {
		return fieldError("restart_policy.Name", raw, "The restart policy is one of %s.", quoteList(restartPolicies))
	}
	count := int64(0)
	if rc := m["MaximumRetryCount"]; rc != nil {
		n, ok := integer(rc, true)
		if !ok || n < 0 || n > math.MaxInt32 {
			return fieldError("restart_policy.MaximumRetryCount", rc, "The maximum retry count is an integer from 0 to %d, or a string of digits.", math.MaxInt32)
		}
		count = n
		if count != 0 && (name == "always" || name == "unless-stopped") {
			return fieldError("restart_policy.MaximumRetryCount", rc, "A maximum retry count is not valid with restart policy %s: leave it out or make it 0.", name)
		}
	}
	if name == "no" {
		count = 0
	}
	c.c.RestartPolicy = container.RestartPolicy{Name: name, MaximumRetryCount: int(count)}
	return nil
}

// parseHealthcheck: object|null {cmd (1 to 255 characters), interval,
// retries, timeout (whole seconds, counts)}. An empty object asks for no
// health check. Zun means to validate these keys but its schema puts them
// under "items", where they apply to nothing; they are validated here.
func parseHealthcheck(c *creator, v any) error {
	if v == nil {
		return nil
	}
	m, err := asObject("healthcheck", v)
	if err != nil || len(m) == 0 {
		return err
	}
	h := &container.Healthcheck{}
	for _, k := range sortedKeys(m) {
		val := m[k]
		path := "healthcheck." + k
		switch k {
		case "cmd":
			s, err := asString(path, val)
			if err != nil {
				return err
			}
			if n := len([]rune(s)); n < 1 || n > 255 {
				return fieldError(path, val, "The health check command is 1 to 255 characters long.")
			}
			h.Test = s
		case "interval", "retries", "timeout":
			if val == nil {
				continue
			}
			n, ok := integer(val, false)
			if !ok || n < 0 || n > math.MaxInt32 {
				return fieldError(path, val, "Expected an integer from 0 to %d, or null.", math.MaxInt32)
			}
			switch k {
			case "interval":
				h.Interval = int(n)
			case "retries":
				h.Retries = int(n)
			default:
				h.Timeout = int(n)
			}
		default:
			return fieldError("healthcheck", v, "Unexpected key '%s': a health check has only cmd, interval, retries and timeout.", k)
		}
	}
	c.c.Healthcheck = h
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
