package schema

import (
	"slices"
	"sort"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/container"
)

// CreateRequest is a validated body of POST /v1/containers.
type CreateRequest struct {
	// Container holds the spec the body asked for, with the defaults Zun's
	// API applies: cpu Limits.DefaultCPU, memory Limits.DefaultMemory,
	// image_driver Limits.DefaultImageDriver. Left to the handler: uuid,
	// project, user, status and placement; a generated name when Name is
	// empty; resolving SecurityGroups (names or ids, de-duplicated) to
	// Neutron ids. Disk 0 means none asked for: the compute host gives
	// Limits.DefaultDisk when it can enforce disk quotas.
	Container *container.Container
	// Set holds the body's fields that were present with a value other
	// than null, by API name ("runtime", "privileged", "host",
	// "image_pull_policy", ...), for the handler's field policies.
	Set map[string]bool
	// Registry is the registry to pull the image with (1.31), a registry
	// uuid or name as sent; the handler resolves it into
	// Container.RegistryID. Empty: none.
	Registry string
}

// ContainerCreate decodes and validates the body of POST /v1/containers at
// microversion v. Every error is an errdefs.ErrInvalid naming the field.
func ContainerCreate(body []byte, v api.Version, l Limits) (*CreateRequest, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := createFieldIndex[k]; !ok {
			return nil, bodyError("Invalid input: additional properties are not allowed ('%s' was unexpected).", k)
		}
	}
	if _, ok := obj["image"]; !ok {
		return nil, bodyError("Invalid input: 'image' is a required property.")
	}
	_, sg := obj["security_groups"]
	_, ep := obj["exposed_ports"]
	if sg && ep && v.AtLeast(api.V(20)) {
		return nil, bodyError("Invalid input: security_groups and exposed_ports are mutually exclusive; send one or the other.")
	}

	c := &creator{v: v, l: l, c: &container.Container{}, req: &CreateRequest{Set: map[string]bool{}}}
	c.req.Container = c.c
	for _, f := range createFields {
		val, ok := obj[f.name]
		if !ok {
			continue
		}
		if v.Less(f.since) && f.gate.applies(val) {
			return nil, versionError(f.name, v, f.since)
		}
		if val != nil {
			c.req.Set[f.name] = true
		}
		if err := f.parse(c, val); err != nil {
			return nil, err
		}
	}
	c.finish()
	return c.req, nil
}

// creator carries a create request through its fields.
type creator struct {
	v   api.Version
	l   Limits
	c   *container.Container
	req *CreateRequest
}

// finish applies the defaults and the tty rule of the microversion.
func (c *creator) finish() {
	set := c.req.Set
	if !set["cpu"] {
		c.c.CPU = c.l.DefaultCPU
	}
	if !set["memory"] {
		c.c.Memory = c.l.DefaultMemory
	}
	if c.c.ImageDriver == "" {
		c.c.ImageDriver = c.l.DefaultImageDriver
	}
	// From 1.20 to 1.35 a container's tty is its interactive flag, when
	// one is given. Before 1.20 and from 1.36 tty is a field of its own.
	if c.v.AtLeast(api.V(20)) && c.v.Less(api.V(36)) && set["interactive"] {
		c.c.TTY = c.c.Interactive
	}
}

// gate says when sending a field at a microversion older than the one
// that introduced it is refused, mirroring how Zun checks each field.
type gate int

const (
	gateNotNull gate = iota // Zun's version_check when the value is not None
	gateTruthy              // ... when the value is truthy: [] and {} pass
	gatePresent             // the field is absent from older schemas
)

func (g gate) applies(v any) bool {
	switch g {
	case gateTruthy:
		return truthy(v)
	case gatePresent:
		return true
	}
	return v != nil
}

// createField is one field of the create body: its API name, the
// microversion that introduced it (1.1 for most) and its parser, which
// also gets null when the field is sent as null.
type createField struct {
	name  string
	since api.Version
	gate  gate
	parse func(c *creator, v any) error
}

// createFields lists the fields in the order they are checked, which
// decides which error a body with several faults gets.
var createFields = []createField{
	{"image", api.V(1), gateNotNull, parseImage},
	{"name", api.V(1), gateNotNull, parseName},
	{"command", api.V(1), gateNotNull, parseCommand},
	{"entrypoint", api.V(40), gatePresent, parseEntrypoint},
	{"cpu", api.V(1), gateNotNull, parseCPU},
	{"cpu_policy", api.V(28), gateNotNull, parseCPUPolicy},
	{"memory", api.V(1), gateNotNull, parseMemory},
	{"disk", api.V(1), gateNotNull, parseDisk},
	{"workdir", api.V(1), gateNotNull, parseWorkdir},
	{"environment", api.V(1), gateNotNull, parseEnvironment},
	{"labels", api.V(1), gateNotNull, parseLabels},
	{"hints", api.V(1), gateNotNull, parseHints},
	{"restart_policy", api.V(1), gateNotNull, parseRestartPolicy},
	{"interactive", api.V(1), gateNotNull, boolField("interactive", func(c *container.Container) *bool { return &c.Interactive })},
	{"tty", api.V(1), gateNotNull, boolField("tty", func(c *container.Container) *bool { return &c.TTY })},
	{"auto_remove", api.V(3), gateNotNull, parseAutoRemove},
	{"auto_heal", api.V(1), gateNotNull, boolField("auto_heal", func(c *container.Container) *bool { return &c.AutoHeal })},
	{"privileged", api.V(21), gateNotNull, boolField("privileged", func(c *container.Container) *bool { return &c.Privileged })},
	{"runtime", api.V(5), gateNotNull, parseRuntime},
	{"hostname", api.V(9), gateNotNull, hostnameField("hostname", func(c *container.Container) *string { return &c.Hostname })},
	{"image_driver", api.V(1), gateNotNull, parseImageDriver},
	{"image_pull_policy", api.V(1), gateNotNull, parseImagePullPolicy},
	{"security_groups", api.V(1), gateNotNull, parseSecurityGroups},
	{"exposed_ports", api.V(24), gateNotNull, parseExposedPorts},
	{"nets", api.V(1), gateNotNull, parseNets},
	{"mounts", api.V(11), gateTruthy, parseMounts},
	{"healthcheck", api.V(22), gateTruthy, parseHealthcheck},
	{"availability_zone", api.V(1), gateNotNull, parseAvailabilityZone},
	{"registry", api.V(31), gateTruthy, parseRegistry},
	{"host", api.V(39), gatePresent, hostnameField("host", func(c *container.Container) *string { return &c.RequestedHost })},
}

var createFieldIndex = func() map[string]int {
	m := make(map[string]int, len(createFields))
	for i, f := range createFields {
		m[f.name] = i
	}
	return m
}()

// boolField parses one of Zun's "boolean" fields (never null) into the
// container field at.
func boolField(name string, at func(*container.Container) *bool) func(*creator, any) error {
	return func(c *creator, v any) error {
		b, err := asBoolean(name, v)
		*at(c.c) = b
		return err
	}
}

// hostnameField parses Zun's "hostname" type (a string, never null, 1 to
// 255 characters of letters, digits, '-', '.' and '_').
func hostnameField(name string, at func(*container.Container) *string) func(*creator, any) error {
	return func(c *creator, v any) error {
		s, err := asString(name, v)
		if err != nil {
			return err
		}
		if !validHostname(s) {
			return fieldError(name, v, "A %s is 1 to 255 characters among letters, digits, '-', '.' and '_'.", name)
		}
		*at(c.c) = s
		return nil
	}
}

func validHostname(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_' {
			return false
		}
	}
	return true
}

func parseAutoRemove(c *creator, v any) error {
	if v == nil {
		return nil
	}
	b, ok := v.(bool)
	if !ok {
		return fieldError("auto_remove", v, "Expected true, false or null, got %s.", kind(v))
	}
	c.c.AutoRemove = b
	return nil
}

func parseRuntime(c *creator, v any) error {
	if v == nil {
		return nil
	}
	s, err := asString("runtime", v)
	c.c.Runtime = s
	return err
}

func parseImageDriver(c *creator, v any) error {
	if v == nil || v == "None" {
		return nil
	}
	s, ok := v.(string)
	if !ok || !slices.Contains(c.l.ImageDrivers, s) {
		return fieldError("image_driver", v, "The image driver is one of %s, or null.", quoteList(c.l.ImageDrivers))
	}
	c.c.ImageDriver = s
	return nil
}

var pullPolicies = []string{"never", "always", "ifnotpresent", "Never", "Always", "IfNotPresent"}

// parseImagePullPolicy keeps the policy as sent, in either case, as Zun
// does; the compute host compares it case-insensitively.
func parseImagePullPolicy(c *creator, v any) error {
	s, err := ImagePullPolicy("image_pull_policy", v)
	c.c.ImagePullPolicy = s
	return err
}

func parseAvailabilityZone(c *creator, v any) error {
	if v == nil {
		return nil
	}
	s, err := AvailabilityZone("availability_zone", v)
	c.c.AvailabilityZone = s
	return err
}

func parseRegistry(c *creator, v any) error {
	s, err := asString("registry", v)
	if err != nil {
		return err
	}
	if !ValidName(s) {
		return fieldError("registry", v, "A registry is given by its uuid or its name: 2 to 255 characters among letters, digits, '_', '.' and '-', starting with a letter or digit.")
	}
	c.req.Registry = s
	return nil
}
