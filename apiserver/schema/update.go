package schema

import (
	"slices"

	"github.com/zun-go/zun/api"
)

// UpdateRequest is a validated body of PATCH /v1/containers/{id}. A nil
// field was not asked for. POST .../resize_container (1.19) takes the
// same body; its handler uses CPU and Memory.
type UpdateRequest struct {
	Name     *string
	CPU      *float64 // vCPUs, within the Limits
	Memory   *int64   // MiB, within the Limits
	AutoHeal *bool
}

// updateFields are the fields of the body, in the order they are checked.
var updateFields = []string{"cpu", "memory", "name", "auto_heal"}

// ContainerUpdate decodes and validates the body of PATCH
// /v1/containers/{id}: an object of at least one of cpu, memory, name and
// auto_heal, nothing else, none of them null. The body is the same at
// every microversion; v is taken for symmetry with ContainerCreate.
func ContainerUpdate(body []byte, v api.Version, l Limits) (*UpdateRequest, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(obj) {
		if !slices.Contains(updateFields, k) {
			return nil, bodyError("Invalid input: additional properties are not allowed ('%s' was unexpected); a container update takes cpu, memory, name and auto_heal.", k)
		}
	}
	if len(obj) == 0 {
		return nil, bodyError("Invalid input: the update asks for no change; send at least one of cpu, memory, name or auto_heal.")
	}
	req := &UpdateRequest{}
	for _, k := range updateFields {
		val, ok := obj[k]
		if !ok {
			continue
		}
		switch k {
		case "cpu":
			if val == nil {
				return nil, fieldError(k, val, "Expected a number or a string of digits, got null.")
			}
			f, err := cpuValue(k, val, l)
			if err != nil {
				return nil, err
			}
			req.CPU = &f
		case "memory":
			n, err := memoryValue(k, val, l)
			if err != nil {
				return nil, err
			}
			req.Memory = &n
		case "name":
			s, err := asString(k, val)
			if err != nil {
				return nil, err
			}
			if !ValidName(s) {
				return nil, fieldError(k, val, "%s", nameRule)
			}
			req.Name = &s
		case "auto_heal":
			b, err := asBoolean(k, val)
			if err != nil {
				return nil, err
			}
			req.AutoHeal = &b
		}
	}
	return req, nil
}
