package network

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// access says what a request may do with an attribute.
type access int

const (
	readOnly   access = iota // shown, never set
	createOnly               // set on POST only
	writable                 // set on POST and PUT
	// unsupported attributes are accepted only empty (null, "", false,
	// [] or {}), which is what clients send to mean "none"; anything
	// else is refused with the attribute's reason.
	unsupported
)

// attr is an attribute of a resource in requests.
type attr struct {
	access access
	why    string // unsupported: what the service does instead
}

// schema lists the attributes a resource's requests may name.
type schema map[string]attr

// body is the resource object of a request body ({"network": {...}}'s
// inner object), each attribute still JSON; its getters record the
// first bad value in err.
type body struct {
	attrs map[string]json.RawMessage
	err   error
}

// readRaw reads the request's body, up to maxBody bytes: a longer one is
// a 413 (Neutron sets no limit of its own; this one is ours, and 413 is
// what OpenStack's size-limit middleware answers).
func readRaw(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, errdefs.Invalidf("Failed to read the request body: %v", err)
	}
	if len(raw) > maxBody {
		return nil, errdefs.TooLargef("Request body is larger than %d bytes.", maxBody)
	}
	return raw, nil
}

// readBody decodes the request's {member: {...}} and checks its
// attributes against s: unknown ones, and ones the operation may not set,
// are refused.
func readBody(r *http.Request, member string, s schema, creating bool) (*body, error) {
	raw, err := readRaw(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errdefs.Invalidf("Resource body required")
	}
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(raw, &outer); err != nil {
		return nil, errdefs.Invalidf("Malformed request body: %v", err)
	}
	inner, ok := outer[member]
	if !ok || len(outer) != 1 {
		if _, bulk := outer[member+"s"]; bulk && creating {
			return nil, errdefs.Invalidf("Bulk creation of %ss is not supported: create them one at a time.", member)
		}
		return nil, errdefs.Invalidf("Unable to find '%s' in request body", member)
	}
	b := &body{}
	if err := json.Unmarshal(inner, &b.attrs); err != nil || b.attrs == nil {
		return nil, errdefs.Invalidf("Invalid format: the '%s' element must be an object.", member)
	}
	var unknown []string
	for k, v := range b.attrs {
		a, known := s[k]
		switch {
		case !known:
			unknown = append(unknown, k)
		case a.access == readOnly && creating:
			return nil, errdefs.Invalidf("Attribute '%s' not allowed in POST", k)
		case (a.access == readOnly || a.access == createOnly) && !creating:
			return nil, errdefs.Invalidf("Cannot update read-only attribute %s", k)
		case a.access == unsupported && !empty(v):
			return nil, errdefs.Invalidf("Invalid input for %s. Reason: %s", k, a.why)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, errdefs.Invalidf("Unrecognized attribute(s) '%s'", strings.Join(unknown, ", "))
	}
	return b, nil
}

// empty reports whether v is a JSON "none": null, "", false, [] or {}.
func empty(v json.RawMessage) bool {
	switch string(bytes.Join(bytes.Fields(v), nil)) {
	case "null", `""`, "false", "[]", "{}":
		return true
	}
	return false
}

func (b *body) has(k string) bool { _, ok := b.attrs[k]; return ok }

func (b *body) null(k string) bool { return string(b.attrs[k]) == "null" }

func (b *body) fail(k string, v json.RawMessage, reason string) {
	if b.err == nil {
		b.err = errdefs.Invalidf("Invalid input for %s. Reason: '%s' %s.", k, v, reason)
	}
}

// str sets *dst to string attribute k when present (null: ""), of at
// most maxString bytes.
func (b *body) str(k string, dst *string) {
	v, ok := b.attrs[k]
	if !ok || b.null(k) {
		if ok {
			*dst = ""
		}
		return
	}
	if err := json.Unmarshal(v, dst); err != nil {
		b.fail(k, v, "is not a valid string")
	} else if len(*dst) > maxString {
		b.fail(k, v, fmt.Sprintf("exceeds maximum length of %d", maxString))
	}
}

// maxString is the longest string attribute Neutron takes (names,
// descriptions, device ids and owners).
const maxString = 255

// boolean sets *dst to boolean attribute k when present. Like Neutron it
// takes "true" and "false" as strings too.
func (b *body) boolean(k string, dst *bool) {
	v, ok := b.attrs[k]
	if !ok {
		return
	}
	if err := json.Unmarshal(v, dst); err == nil {
		return
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if x, err := strconv.ParseBool(s); err == nil {
			*dst = x
			return
		}
	}
	b.fail(k, v, "cannot be converted to boolean")
}

// integer sets *dst to integer attribute k when present (null: nil). It
// takes numbers as strings too.
func (b *body) integer(k string, dst **int) {
	v, ok := b.attrs[k]
	if !ok {
		return
	}
	if b.null(k) {
		*dst = nil
		return
	}
	s := strings.Trim(string(v), `"`)
	n, err := strconv.Atoi(s)
	if err != nil {
		b.fail(k, v, "is not an integer")
		return
	}
	*dst = &n
}

// strings sets *dst to list-of-strings attribute k when present (null:
// empty).
func (b *body) strings(k string, dst *[]string) {
	v, ok := b.attrs[k]
	if !ok {
		return
	}
	var l []string
	if !b.null(k) {
		if err := json.Unmarshal(v, &l); err != nil {
			b.fail(k, v, "is not a list of strings")
			return
		}
	}
	*dst = orEmpty(l)
}

// object decodes attribute k, when present, into dst.
func (b *body) object(k string, dst any) {
	v, ok := b.attrs[k]
	if !ok || b.null(k) {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		b.fail(k, v, fmt.Sprintf("is not valid (%v)", err))
	}
}

// tags reads the tags a new record gets.
func (b *body) tags(dst *[]string) {
	b.strings("tags", dst)
	if *dst != nil {
		*dst = normTags(*dst)
	}
}

// normTags sorts tags and drops duplicates.
func normTags(tags []string) []string {
	out := slices.Clone(tags)
	slices.Sort(out)
	return slices.Compact(out)
}

// projectOf is the project a new record goes in: the caller's, or the one
// the body names in project_id or tenant_id, which only an admin may set
// to another project than their own.
func (b *body) projectOf(p auth.Principal) (string, error) {
	var project, tenant string
	b.str("project_id", &project)
	b.str("tenant_id", &tenant)
	if b.err != nil {
		return "", b.err
	}
	if project != "" && tenant != "" && project != tenant {
		return "", errdefs.Invalidf("'project_id' and 'tenant_id' do not match")
	}
	want := cmp.Or(project, tenant)
	switch {
	case want == "" || want == p.ProjectID:
		if p.ProjectID == "" {
			return "", errdefs.Invalidf("The token is not scoped to a project: name project_id.")
		}
		return p.ProjectID, nil
	case !p.IsAdmin():
		return "", errdefs.Forbiddenf("(rule:create:project_id) is disallowed by policy: only an admin creates records in another project.")
	}
	return want, nil
}

// commonSchema are the attributes every resource has.
var commonSchema = schema{
	"id":              {access: readOnly},
	"created_at":      {access: readOnly},
	"updated_at":      {access: readOnly},
	"revision_number": {access: readOnly},
	"project_id":      {access: createOnly},
	"tenant_id":       {access: createOnly},
	"tags":            {access: createOnly}, // after creation: the tags subresource
	"description":     {access: writable},
}

// with is commonSchema and more.
func with(more schema) schema {
	s := maps.Clone(commonSchema)
	maps.Copy(s, more)
	return s
}
