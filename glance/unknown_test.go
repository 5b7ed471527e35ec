package glance_test

import (
	"slices"
	"strings"
	"testing"
)

// imageUnknowns is the table of what Glance does with a field or filter
// the embedded image service may not know, with where that was read in
// openstack/glance. Images: "one" (property k=v, 5 bytes of data) and
// "two" (no property), alice's.
var imageUnknowns = []struct {
	name   string
	method string
	path   string
	body   string
	status int
	names  []string // a list's names; a create's extra property k=v as "k=v"
	words  string   // in a refusal's message
	source string
}{
	{name: "create: unknown property stored", method: "POST", path: "/v2/images", body: `{"name": "c1", "colour": "red"}`,
		status: 201, names: []string{"colour=red"},
		source: "glance/schema.py PermissiveSchema (additionalProperties string); glance/api/v2/images.py RequestDeserializer.create (extra_properties)"},
	{name: "create: unknown property must be a string", method: "POST", path: "/v2/images", body: `{"name": "c2", "colour": 1}`,
		status: 400, words: "colour", source: "glance/schema.py PermissiveSchema: additionalProperties {'type': 'string'}"},
	{name: "create: reserved property refused", method: "POST", path: "/v2/images", body: `{"name": "c3", "deleted": "x"}`,
		status: 403, words: "Attribute 'deleted' is reserved.", source: "glance/api/v2/images.py RequestDeserializer._reserved_properties"},
	{name: "create: os_glance namespace refused", method: "POST", path: "/v2/images", body: `{"name": "c4", "os_glance_x": "y"}`,
		status: 403, words: "is reserved", source: "glance/api/v2/images.py _reserved_namespaces; glance/api/common.py GLANCE_RESERVED_NS"},
	{name: "create: read-only attribute refused", method: "POST", path: "/v2/images", body: `{"name": "c5", "status": "active"}`,
		status: 403, words: "Attribute 'status' is read-only.", source: "glance/api/v2/images.py RequestDeserializer._readonly_properties, _check_allowed"},
	{name: "create: property name over 255 characters refused", method: "POST", path: "/v2/images", body: `{"name": "c6", "` + strings.Repeat("p", 256) + `": "v"}`,
		status: 400, words: "255", source: "glance/api/v2/images.py RequestDeserializer.create (LP #1737952)"},
	{name: "list: unknown filter is a property filter", method: "GET", path: "/v2/images?k=v",
		status: 200, names: []string{"one"}, source: "glance/db/sqlalchemy/api.py _make_conditions_from_filters (not a column: _make_image_property_condition)"},
	{name: "list: property filter without a match", method: "GET", path: "/v2/images?k=w",
		status: 200, names: nil, source: "glance/db/sqlalchemy/api.py _make_image_property_condition"},
	{name: "list: size_min", method: "GET", path: "/v2/images?size_min=1",
		status: 200, names: []string{"one"}, source: "glance/db/sqlalchemy/api.py _make_conditions_from_filters (_min/_max ranges)"},
	{name: "list: non-numeric range refused", method: "GET", path: "/v2/images?size_max=big",
		status: 400, words: "Unable to filter on a range with a non-numeric value.", source: "glance/db/sqlalchemy/api.py _make_conditions_from_filters"},
	{name: "list: min_ram is a column", method: "GET", path: "/v2/images?min_ram=0",
		status: 200, names: []string{"one", "two"}, source: "glance/db/sqlalchemy/api.py _make_conditions_from_filters (hasattr(models.Image, k))"},
	{name: "list: time comparison not offered (deviation)", method: "GET", path: "/v2/images?created_at=gt:2020-01-01T00:00:00Z",
		status: 400, words: "not supported", source: "Glance applies it (glance/db/sqlalchemy/api.py, created_at/updated_at operators); here refused, never ignored: docs/images.md"},
}

// TestUnknownFieldsAndFilters sends every row of imageUnknowns to the
// service as alice and checks Glance's answer.
func TestUnknownFieldsAndFilters(t *testing.T) {
	e := newEnv(t, 1<<20)
	one := e.mustCreate("alice", `{"name": "one", "k": "v", "container_format": "bare", "disk_format": "raw"}`)
	if code := e.upload("alice", one["id"].(string), "12345"); code != 204 {
		t.Fatalf("upload: %d", code)
	}
	e.mustCreate("alice", `{"name": "two"}`)
	for _, c := range imageUnknowns {
		t.Run(c.name, func(t *testing.T) {
			code, out := e.call("alice", c.method, c.path, c.body)
			if code != c.status {
				t.Fatalf("%s %s %s: %d %v, want %d (%s)", c.method, c.path, c.body, code, out, c.status, c.source)
			}
			switch {
			case code >= 400:
				if msg, _ := out["message"].(string); !strings.Contains(msg, c.words) {
					t.Fatalf("%s: message %v lacks %q", c.name, out, c.words)
				}
			case c.method == "GET":
				var names []string
				for _, im := range out["images"].([]any) {
					if n, _ := im.(map[string]any)["name"].(string); n == "one" || n == "two" {
						names = append(names, n)
					}
				}
				slices.Sort(names)
				if !slices.Equal(names, c.names) {
					t.Fatalf("%s: listed %v, want %v (%s)", c.path, names, c.names, c.source)
				}
			default:
				k, v, _ := strings.Cut(c.names[0], "=")
				if out[k] != v {
					t.Fatalf("%s: %s = %v, want %s (%s)", c.name, k, out[k], v, c.source)
				}
			}
		})
	}
}
