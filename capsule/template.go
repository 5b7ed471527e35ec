package capsule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/zun-go/zun/apiserver/schema"
)

// Spec is a capsule template that Parse accepted: Zun's template with its
// values checked and typed.
type Spec struct {
	// Kind is "capsule" or "Capsule"; CapsuleVersion "beta", "Beta" or "".
	Kind           string
	CapsuleVersion string
	// Name, Labels and Annotations are the template's metadata.
	Name        string
	Labels      map[string]string
	Annotations map[string]string
	// AvailabilityZone is where the capsule must run, "" for anywhere.
	AvailabilityZone string
	// RestartPolicy is Docker's name of the template's policy: "always"
	// (Always, the default), "on-failure" (OnFailure) or "no" (Never).
	RestartPolicy string
	// InitContainers run in order, each to its end, before Containers.
	InitContainers []ContainerSpec
	Containers     []ContainerSpec
	Volumes        []VolumeSpec
}

// ContainerSpec is a container of the template (spec.containers[] or
// spec.initContainers[]).
type ContainerSpec struct {
	// Name is the template's name of the container or, when it gave none,
	// "container-<i>" (spec.containers[i]) or "init-container-<i>"
	// (spec.initContainers[i]); unique in the capsule.
	Name            string
	Image           string
	Command         []string
	Args            []string
	Env             map[string]string
	WorkDir         string
	ImagePullPolicy string // as sent, "" when not given
	Stdin, TTY      bool
	// CPU (vCPUs) and Memory (MiB) are resources.requests; 0 when not
	// requested.
	CPU          float64
	Memory       int64
	Ports        []PortSpec
	VolumeMounts []VolumeMount
}

// PortSpec is a port of a container. HostPort is read and ignored, as in
// Zun: the capsule's ports are on its own addresses.
type PortSpec struct {
	Name          string
	ContainerPort int
	HostPort      int
	Protocol      string // "TCP" or "UDP"; "" is TCP
}

// VolumeMount mounts a volume of the capsule in a container. ReadOnly is
// read and ignored, as in Zun.
type VolumeMount struct {
	Name      string
	MountPath string
	ReadOnly  bool
}

// VolumeSpec is a volume of the template (spec.volumes[]): an existing
// Cinder-style volume (VolumeID) or a new one of Size GiB.
type VolumeSpec struct {
	Name       string
	VolumeID   string
	Size       int
	AutoRemove bool
}

// Parse checks a capsule template with Zun's default limits; see
// ParseWithLimits.
func Parse(template any) (*Spec, error) {
	return ParseWithLimits(template, schema.DefaultLimits())
}

// ParseWithLimits checks a capsule template, the "template" of the body
// of POST /v1/capsules: a decoded JSON object, or a string holding one,
// as Zun accepts both. Containers' cpu and memory are held to l. Every
// refusal is an errdefs.ErrInvalid whose message names the path of the
// bad field, such as spec.containers[1].image. docs/capsules.md lists
// what is accepted and where this is stricter than Zun.
func ParseWithLimits(template any, l schema.Limits) (*Spec, error) {
	tpl, err := decodeTemplate(template)
	if err != nil {
		return nil, err
	}
	p := parser{l: l, spec: &Spec{RestartPolicy: "always"}}
	if err := p.template(tpl); err != nil {
		return nil, err
	}
	return p.spec, nil
}

// decodeTemplate turns a template into a JSON object with numbers as
// json.Number, whatever decoded it: a string is JSON text; other values
// are encoded and decoded again, so that a map from any decoder (YAML
// included) is read alike.
func decodeTemplate(template any) (map[string]any, error) {
	switch t := template.(type) {
	case nil:
		return nil, schema.FieldError("template", nil, "Expected a capsule template: an object, or a string holding one in JSON.")
	case string:
		return decodeText([]byte(t))
	case json.RawMessage:
		return decodeRaw(t)
	case []byte:
		return decodeRaw(t)
	}
	b, err := json.Marshal(template)
	if err != nil {
		return nil, schema.FieldError("template", "", "The template cannot be read as JSON: %s.", err)
	}
	var x any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&x); err != nil {
		return nil, schema.FieldError("template", "", "The template cannot be read as JSON: %s.", err)
	}
	obj, ok := x.(map[string]any)
	if !ok {
		return nil, schema.FieldError("template", x, "Expected a capsule template: an object, or a string holding one in JSON, got %s.", schema.Kind(x))
	}
	return obj, nil
}

// decodeRaw reads a template from raw JSON: an object, or a string.
func decodeRaw(raw []byte) (map[string]any, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return decodeText([]byte(s))
	}
	return decodeText(raw)
}

func decodeText(b []byte) (map[string]any, error) {
	obj, err := schema.DecodeObject(b)
	if err != nil {
		return nil, schema.BodyError("Invalid input for field 'template': the template is not a JSON object: %s",
			strings.TrimPrefix(err.Error(), "Malformed request body: "))
	}
	return obj, nil
}

// parser carries a template through its fields.
type parser struct {
	l    schema.Limits
	spec *Spec
}

// Keys of each object of the template. Where Zun's schema allows other
// keys (metadata, spec, an item of spec.volumes) they are ignored.
var (
	templateKeys  = []string{"kind", "capsuleVersion", "metadata", "restartPolicy", "spec", "availabilityZone"}
	containerKeys = []string{"name", "image", "command", "args", "resources", "ports", "volumeMounts", "env", "workDir", "imagePullPolicy", "stdin", "tty"}
	resourceKeys  = []string{"requests"}
	requestKeys   = []string{"cpu", "memory"}
	portKeys      = []string{"name", "containerPort", "hostPort", "protocol"}
	mountKeys     = []string{"name", "mountPath", "readOnly"}
	cinderKeys    = []string{"volumeID", "size", "autoRemove"}
)

// restartPolicies maps the template's policies to Docker's.
var restartPolicies = map[string]string{"Always": "always", "OnFailure": "on-failure", "Never": "no"}

// onlyKeys refuses a key of obj that is not in keys, naming its path.
func onlyKeys(p string, obj map[string]any, keys []string, what string) error {
	for _, k := range schema.SortedKeys(obj) {
		if !slices.Contains(keys, k) {
			return schema.FieldError(join(p, k), obj[k], "Additional properties are not allowed ('%s' was unexpected): %s has only %s.", k, what, schema.Quote(keys...))
		}
	}
	return nil
}

// required refuses obj without key, naming the key's path.
func required(p string, obj map[string]any, key string) error {
	if _, ok := obj[key]; !ok {
		return schema.BodyError("Invalid input: '%s' is a required property.", join(p, key))
	}
	return nil
}

func join(p, key string) string {
	if p == "" {
		return key
	}
	return p + "." + key
}

func index(p string, i int) string { return fmt.Sprintf("%s[%d]", p, i) }

func (p *parser) template(tpl map[string]any) error {
	if err := onlyKeys("", tpl, templateKeys, "a capsule template"); err != nil {
		return err
	}
	for _, k := range []string{"kind", "spec", "metadata"} {
		if err := required("", tpl, k); err != nil {
			return err
		}
	}
	if k := tpl["kind"]; k != "capsule" && k != "Capsule" {
		return schema.FieldError("kind", k, "The kind of a capsule template is 'capsule' or 'Capsule'.")
	}
	p.spec.Kind = tpl["kind"].(string)
	if v, ok := tpl["capsuleVersion"]; ok {
		if v != "beta" && v != "Beta" {
			return schema.FieldError("capsuleVersion", v, "The capsule version is 'beta' or 'Beta'.")
		}
		p.spec.CapsuleVersion = v.(string)
	}
	if err := p.metadata(tpl["metadata"]); err != nil {
		return err
	}
	// The top-level restartPolicy is Zun's deprecated place for it, kept
	// for old templates; spec.restartPolicy wins.
	if v, ok := tpl["restartPolicy"]; ok {
		rp, err := restartPolicy("restartPolicy", v)
		if err != nil {
			return err
		}
		p.spec.RestartPolicy = rp
	}
	if v, ok := tpl["availabilityZone"]; ok && v != nil {
		az, err := schema.AvailabilityZone("availabilityZone", v)
		if err != nil {
			return err
		}
		p.spec.AvailabilityZone = az
	}
	return p.specField(tpl["spec"])
}

func restartPolicy(p string, v any) (string, error) {
	s, _ := v.(string)
	rp, ok := restartPolicies[s]
	if !ok {
		return "", schema.FieldError(p, v, "The restart policy is %s.", schema.Quote("Always", "OnFailure", "Never"))
	}
	return rp, nil
}

func (p *parser) metadata(v any) error {
	m, err := schema.Object("metadata", v)
	if err != nil {
		return err
	}
	if p.spec.Name, err = schema.ContainerName("metadata.name", m["name"]); err != nil {
		return err
	}
	if p.spec.Labels, err = schema.StringMap("metadata.labels", m["labels"]); err != nil {
		return err
	}
	p.spec.Annotations, err = schema.StringMap("metadata.annotations", m["annotations"])
	return err
}

func (p *parser) specField(v any) error {
	m, err := schema.Object("spec", v)
	if err != nil {
		return err
	}
	if err := required("spec", m, "containers"); err != nil {
		return err
	}
	if v, ok := m["restartPolicy"]; ok {
		if p.spec.RestartPolicy, err = restartPolicy("spec.restartPolicy", v); err != nil {
			return err
		}
	}
	list, err := schema.Array("spec.containers", m["containers"])
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return schema.FieldError("spec.containers", list, "A capsule has at least one container.")
	}
	if p.spec.Containers, err = p.containers("spec.containers", "container-", list); err != nil {
		return err
	}
	if v := m["initContainers"]; v != nil {
		list, err := schema.Array("spec.initContainers", v)
		if err != nil {
			return err
		}
		if p.spec.InitContainers, err = p.containers("spec.initContainers", "init-container-", list); err != nil {
			return err
		}
	}
	if v := m["volumes"]; v != nil {
		if err := p.volumes(v); err != nil {
			return err
		}
	}
	return p.crossCheck()
}

func (p *parser) containers(at, unnamed string, list []any) ([]ContainerSpec, error) {
	out := make([]ContainerSpec, 0, len(list))
	for i, item := range list {
		c, err := p.container(index(at, i), item)
		if err != nil {
			return nil, err
		}
		if c.Name == "" {
			c.Name = fmt.Sprintf("%s%d", unnamed, i)
		}
		out = append(out, c)
	}
	return out, nil
}

func (p *parser) container(at string, item any) (ContainerSpec, error) {
	var c ContainerSpec
	m, err := schema.Object(at, item)
	if err != nil {
		return c, err
	}
	if err := onlyKeys(at, m, containerKeys, "a container of a capsule"); err != nil {
		return c, err
	}
	if err := required(at, m, "image"); err != nil {
		return c, err
	}
	if c.Image, err = schema.Image(join(at, "image"), m["image"]); err != nil {
		return c, err
	}
	if c.Name, err = schema.ContainerName(join(at, "name"), m["name"]); err != nil {
		return c, err
	}
	// command and args are arrays of strings (Zun lets null items
	// through, to fail on the host).
	if v, ok := m["command"]; ok {
		if c.Command, err = schema.Strings(join(at, "command"), v); err != nil {
			return c, err
		}
	}
	if v, ok := m["args"]; ok {
		if c.Args, err = schema.Strings(join(at, "args"), v); err != nil {
			return c, err
		}
	}
	if c.Env, err = schema.Environment(join(at, "env"), m["env"]); err != nil {
		return c, err
	}
	if v := m["workDir"]; v != nil {
		if c.WorkDir, err = schema.String(join(at, "workDir"), v); err != nil {
			return c, err
		}
	}
	if c.ImagePullPolicy, err = schema.ImagePullPolicy(join(at, "imagePullPolicy"), m["imagePullPolicy"]); err != nil {
		return c, err
	}
	if v, ok := m["stdin"]; ok {
		if c.Stdin, err = schema.Boolean(join(at, "stdin"), v); err != nil {
			return c, err
		}
	}
	if v, ok := m["tty"]; ok {
		if c.TTY, err = schema.Boolean(join(at, "tty"), v); err != nil {
			return c, err
		}
	}
	if v, ok := m["resources"]; ok {
		if err := p.resources(join(at, "resources"), v, &c); err != nil {
			return c, err
		}
	}
	if v, ok := m["ports"]; ok {
		if c.Ports, err = ports(join(at, "ports"), v); err != nil {
			return c, err
		}
	}
	if v, ok := m["volumeMounts"]; ok {
		if c.VolumeMounts, err = volumeMounts(join(at, "volumeMounts"), v); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (p *parser) resources(at string, v any, c *ContainerSpec) error {
	m, err := schema.Object(at, v)
	if err != nil {
		return err
	}
	if err := onlyKeys(at, m, resourceKeys, "resources"); err != nil {
		return err
	}
	rv, ok := m["requests"]
	if !ok {
		return nil
	}
	at = join(at, "requests")
	req, err := schema.Object(at, rv)
	if err != nil {
		return err
	}
	if err := onlyKeys(at, req, requestKeys, "requests"); err != nil {
		return err
	}
	if v := req["cpu"]; v != nil {
		if c.CPU, err = schema.CPU(join(at, "cpu"), v, p.l); err != nil {
			return err
		}
	}
	if v := req["memory"]; v != nil {
		if c.Memory, err = schema.Memory(join(at, "memory"), v, p.l); err != nil {
			return err
		}
	}
	return nil
}

// ports: an array of {containerPort (required), name, hostPort,
// protocol}. A containerPort is 1 to 65535 (Zun lets 0 through, which no
// security group rule can open); a hostPort 0 to 65535.
func ports(at string, v any) ([]PortSpec, error) {
	list, err := schema.Array(at, v)
	if err != nil {
		return nil, err
	}
	out := make([]PortSpec, 0, len(list))
	for i, item := range list {
		ip := index(at, i)
		m, err := schema.Object(ip, item)
		if err != nil {
			return nil, err
		}
		if err := onlyKeys(ip, m, portKeys, "a port"); err != nil {
			return nil, err
		}
		if err := required(ip, m, "containerPort"); err != nil {
			return nil, err
		}
		var ps PortSpec
		if ps.ContainerPort, err = schema.Port(join(ip, "containerPort"), m["containerPort"], 1); err != nil {
			return nil, err
		}
		if v, ok := m["hostPort"]; ok {
			if ps.HostPort, err = schema.Port(join(ip, "hostPort"), v, 0); err != nil {
				return nil, err
			}
		}
		if ps.Name, err = schema.ContainerName(join(ip, "name"), m["name"]); err != nil {
			return nil, err
		}
		if v, ok := m["protocol"]; ok {
			if v != "TCP" && v != "UDP" {
				return nil, schema.FieldError(join(ip, "protocol"), v, "The protocol of a port is 'TCP' or 'UDP'.")
			}
			ps.Protocol = v.(string)
		}
		out = append(out, ps)
	}
	return out, nil
}

// volumeMounts: an array of {name, mountPath (both required), readOnly}.
// Stricter than Zun, which fails on the host or drops the mount: the path
// is absolute, and a container mounts a volume once and a path once.
func volumeMounts(at string, v any) ([]VolumeMount, error) {
	list, err := schema.Array(at, v)
	if err != nil {
		return nil, err
	}
	out := make([]VolumeMount, 0, len(list))
	for i, item := range list {
		ip := index(at, i)
		m, err := schema.Object(ip, item)
		if err != nil {
			return nil, err
		}
		if err := onlyKeys(ip, m, mountKeys, "a volume mount"); err != nil {
			return nil, err
		}
		for _, k := range []string{"name", "mountPath"} {
			if err := required(ip, m, k); err != nil {
				return nil, err
			}
		}
		var vm VolumeMount
		if vm.Name, err = volumeName(join(ip, "name"), m["name"]); err != nil {
			return nil, err
		}
		if vm.MountPath, err = schema.String(join(ip, "mountPath"), m["mountPath"]); err != nil {
			return nil, err
		}
		if !path.IsAbs(vm.MountPath) {
			return nil, schema.FieldError(join(ip, "mountPath"), vm.MountPath, "The mount path is an absolute path in the container.")
		}
		if v, ok := m["readOnly"]; ok {
			if vm.ReadOnly, err = schema.Boolean(join(ip, "readOnly"), v); err != nil {
				return nil, err
			}
		}
		for j, o := range out {
			switch {
			case o.Name == vm.Name:
				return nil, schema.FieldError(join(ip, "name"), vm.Name, "Volume %s is already mounted by %s; a container mounts a volume once.", vm.Name, index(at, j))
			case path.Clean(o.MountPath) == path.Clean(vm.MountPath):
				return nil, schema.FieldError(join(ip, "mountPath"), vm.MountPath, "Path %s is already a mount point of %s.", vm.MountPath, index(at, j))
			}
		}
		out = append(out, vm)
	}
	return out, nil
}

// volumeName: Zun's volume_name, the pattern of container names.
func volumeName(at string, v any) (string, error) {
	if v == nil {
		return "", schema.FieldError(at, v, "Expected a volume name, got null.")
	}
	return schema.ContainerName(at, v)
}

// volumes: an array|null of {name, cinder (both required)}, other keys
// ignored as in Zun; cinder is {volumeID | size, autoRemove}, exactly one
// of volumeID (36 characters) and size (a whole number of GiB, where Zun
// takes any number).
func (p *parser) volumes(v any) error {
	const at = "spec.volumes"
	list, err := schema.Array(at, v)
	if err != nil {
		return err
	}
	for i, item := range list {
		ip := index(at, i)
		m, err := schema.Object(ip, item)
		if err != nil {
			return err
		}
		for _, k := range []string{"name", "cinder"} {
			if err := required(ip, m, k); err != nil {
				return err
			}
		}
		var vs VolumeSpec
		if vs.Name, err = volumeName(join(ip, "name"), m["name"]); err != nil {
			return err
		}
		for j, o := range p.spec.Volumes {
			if o.Name == vs.Name {
				return schema.FieldError(join(ip, "name"), vs.Name, "Volume %s is already declared by %s; volume names are unique in a capsule.", vs.Name, index(at, j))
			}
		}
		cp := join(ip, "cinder")
		c, err := schema.Object(cp, m["cinder"])
		if err != nil {
			return err
		}
		if err := onlyKeys(cp, c, cinderKeys, "a cinder volume"); err != nil {
			return err
		}
		id, hasID := c["volumeID"]
		size, hasSize := c["size"]
		switch {
		case hasID && hasSize:
			return schema.FieldError(cp, c, "A cinder volume has a volumeID (an existing volume) or a size (a new one), not both.")
		case hasID:
			s, ok := id.(string)
			if !ok || len(s) != 36 {
				return schema.FieldError(join(cp, "volumeID"), id, "A volumeID is the 36-character uuid of an existing volume.")
			}
			vs.VolumeID = s
		case hasSize:
			if vs.Size, err = schema.Size(join(cp, "size"), size); err != nil {
				return err
			}
		default:
			return schema.FieldError(cp, c, "A cinder volume has a volumeID (an existing volume) or a size (a new one).")
		}
		if v, ok := c["autoRemove"]; ok {
			if vs.AutoRemove, err = schema.Boolean(join(cp, "autoRemove"), v); err != nil {
				return err
			}
		}
		p.spec.Volumes = append(p.spec.Volumes, vs)
	}
	return nil
}

// crossCheck checks what spans the template: container names are unique
// in the capsule (init containers included), every volume mount names a
// declared volume (Zun drops one that does not), and every declared
// volume is mounted (as Zun refuses one that is not).
func (p *parser) crossCheck() error {
	type named struct {
		at string
		c  *ContainerSpec
	}
	var all []named
	for i := range p.spec.Containers {
		all = append(all, named{index("spec.containers", i), &p.spec.Containers[i]})
	}
	for i := range p.spec.InitContainers {
		all = append(all, named{index("spec.initContainers", i), &p.spec.InitContainers[i]})
	}
	mounted := map[string]bool{}
	for i, n := range all {
		for _, o := range all[:i] {
			if o.c.Name == n.c.Name {
				return schema.FieldError(join(n.at, "name"), n.c.Name, "Container name %s is already used by %s; the names of a capsule's containers are unique (a container without a name is named after its place, as container-0 or init-container-0).", n.c.Name, o.at)
			}
		}
		for j, vm := range n.c.VolumeMounts {
			if !slices.ContainsFunc(p.spec.Volumes, func(v VolumeSpec) bool { return v.Name == vm.Name }) {
				return schema.FieldError(join(index(join(n.at, "volumeMounts"), j), "name"), vm.Name, "Volume %s is not declared in spec.volumes.", vm.Name)
			}
			mounted[vm.Name] = true
		}
	}
	for i, v := range p.spec.Volumes {
		if !mounted[v.Name] {
			return schema.FieldError(index("spec.volumes", i), v.Name, "Volume %s is mounted by no container; every volume of a capsule is mounted.", v.Name)
		}
	}
	return nil
}
