package volume_test

import (
	"slices"
	"strings"
	"testing"
)

// unknownCase is one row of the table of what Cinder does with a field or
// filter the embedded service may not know, at the microversion it
// speaks (3.0), with where that was read in openstack/cinder.
type unknownCase struct {
	name   string
	who    string
	method string
	path   string
	body   string
	status int
	// names are the volume names a list answers; for a create or update,
	// the name (and description) the volume ends up with.
	names  []string
	words  string // in the fault message of a refusal
	source string
}

// volumeUnknowns is the table. Two volumes exist: "one" (size 1,
// metadata {"k": "v"}) and "two" (size 2), both alice's.
var volumeUnknowns = []unknownCase{
	// Request bodies.
	{name: "create: unknown key in volume ignored below 3.53", who: "alice", method: "POST", path: "/v3/volumes",
		body: `{"volume": {"size": 1, "name": "c1", "colour": "red"}}`, status: 202, names: []string{"c1"},
		source: "cinder/api/schemas/volumes.py: create 'volume' additionalProperties True (False from create_volume_v353)"},
	{name: "create: unknown top-level key refused", who: "alice", method: "POST", path: "/v3/volumes",
		body: `{"volume": {"size": 1}, "colour": "red"}`, status: 400, words: "Additional properties are not allowed ('colour' was unexpected)",
		source: "cinder/api/schemas/volumes.py: create additionalProperties False"},
	{name: "create: scheduler hints at the top level accepted", who: "alice", method: "POST", path: "/v3/volumes",
		body: `{"volume": {"size": 1, "name": "c2"}, "OS-SCH-HNT:scheduler_hints": {"same_host": []}}`, status: 202, names: []string{"c2"},
		source: "cinder/api/schemas/volumes.py: create properties 'OS-SCH-HNT:scheduler_hints'"},
	{name: "create: display_name is the name", who: "alice", method: "POST", path: "/v3/volumes",
		body: `{"volume": {"size": 1, "display_name": "c3"}}`, status: 202, names: []string{"c3"},
		source: "cinder/api/schemas/volumes.py (display_name); cinder/api/v3/volumes.py create stores it as display_name"},
	{name: "create: name wins over display_name", who: "alice", method: "POST", path: "/v3/volumes",
		body: `{"volume": {"size": 1, "name": "c4", "display_name": "other"}}`, status: 202, names: []string{"c4"},
		source: "cinder/api/v3/volumes.py create: volume['display_name'] = volume.pop('name')"},
	{name: "update: unknown key in volume refused", who: "alice", method: "PUT", path: "/v3/volumes/{one}",
		body: `{"volume": {"colour": "red"}}`, status: 400, words: "Additional properties are not allowed ('colour' was unexpected)",
		source: "cinder/api/schemas/volumes.py: update 'volume' additionalProperties False"},
	{name: "update: unknown top-level key refused", who: "alice", method: "PUT", path: "/v3/volumes/{one}",
		body: `{"volume": {"name": "x"}, "colour": "red"}`, status: 400, words: "'colour' was unexpected",
		source: "cinder/api/schemas/volumes.py: update additionalProperties False"},
	{name: "update: display_name renames", who: "alice", method: "PUT", path: "/v3/volumes/{two}",
		body: `{"volume": {"display_name": "two"}}`, status: 200, names: []string{"two"},
		source: "cinder/api/schemas/volumes.py: update display_name; cinder/api/v3/volumes.py update"},

	// List filters: a member's unknown filters are dropped, an admin's
	// are columns.
	{name: "member: unknown filter ignored", who: "alice", method: "GET", path: "/v3/volumes/detail?colour=red",
		status: 200, names: []string{"one", "two"},
		source: "cinder/api/api_utils.py remove_invalid_filter_options (not admin: strip unknown options)"},
	{name: "member: display_name is no member filter, ignored", who: "alice", method: "GET", path: "/v3/volumes/detail?display_name=one",
		status: 200, names: []string{"one", "two"},
		source: "etc/cinder/resource_filters.json 'volume' list; cinder/api/api_utils.py remove_invalid_filter_options"},
	{name: "member: name filter", who: "alice", method: "GET", path: "/v3/volumes/detail?name=one",
		status: 200, names: []string{"one"}, source: "etc/cinder/resource_filters.json; cinder/api/v3/volumes.py _get_volumes (name → display_name)"},
	{name: "member: size filter", who: "alice", method: "GET", path: "/v3/volumes/detail?size=2",
		status: 200, names: []string{"two"}, source: "etc/cinder/resource_filters.json 'size'; cinder/db/api.py _process_volume_filters (exact match)"},
	{name: "member: metadata filter", who: "alice", method: "GET", path: "/v3/volumes/detail?metadata=%7B%27k%27%3A+%27v%27%7D",
		status: 200, names: []string{"one"}, source: "etc/cinder/resource_filters.json 'metadata'; cinder/db/api.py _process_volume_filters (metadata dict)"},
	{name: "member: availability_zone filter", who: "alice", method: "GET", path: "/v3/volumes/detail?availability_zone=elsewhere",
		status: 200, names: nil, source: "etc/cinder/resource_filters.json 'availability_zone'"},
	{name: "member: group_id dropped before 3.10", who: "alice", method: "GET", path: "/v3/volumes/detail?group_id=g",
		status: 200, names: []string{"one", "two"}, source: "cinder/api/v3/volumes.py _MV_ADDED_FILTERS (group_id from VOLUME_LIST_GROUP)"},
	{name: "member: pagination and sort are no filters", who: "alice", method: "GET", path: "/v3/volumes/detail?sort=name:asc&offset=0",
		status: 200, names: []string{"one", "two"}, source: "cinder/api/common.py get_pagination_params, get_sort_params"},
	{name: "admin: unknown filter matches no volume", who: "admin", method: "GET", path: "/v3/volumes/detail?all_tenants=1&colour=red",
		status: 200, names: nil, source: "cinder/api/api_utils.py remove_invalid_filter_options (admin keeps all); cinder/db/api.py _process_volume_filters ('filter key is not valid': no result)"},
	{name: "admin: display_name is a column", who: "admin", method: "GET", path: "/v3/volumes/detail?all_tenants=1&display_name=one",
		status: 200, names: []string{"one"}, source: "cinder/db/api.py _process_volume_filters (column exact match)"},
}

// TestUnknownFieldsAndFilters sends every row of volumeUnknowns to the
// service and checks Cinder's answer.
func TestUnknownFieldsAndFilters(t *testing.T) {
	e := newEnv(t)
	ids := map[string]string{
		"{one}": e.mustCreate("alice", `{"volume": {"size": 1, "name": "one", "metadata": {"k": "v"}}}`)["id"].(string),
		"{two}": e.mustCreate("alice", `{"volume": {"size": 2, "name": "deux"}}`)["id"].(string),
	}
	for _, c := range volumeUnknowns {
		t.Run(c.name, func(t *testing.T) {
			path := c.path
			for k, v := range ids {
				path = strings.ReplaceAll(path, k, v)
			}
			code, out := e.call(c.who, c.method, path, c.body)
			if code != c.status {
				t.Fatalf("%s %s %s: %d %v, want %d (%s)", c.method, path, c.body, code, out, c.status, c.source)
			}
			switch {
			case code >= 400:
				if fault, _ := out["badRequest"].(map[string]any); !strings.Contains(fault["message"].(string), c.words) {
					t.Fatalf("%s: fault %v lacks %q", c.name, out, c.words)
				}
			case c.method == "GET":
				var names []string
				for _, v := range out["volumes"].([]any) {
					if n := v.(map[string]any)["name"].(string); strings.HasPrefix(n, "one") || strings.HasPrefix(n, "two") || n == "deux" {
						names = append(names, n)
					}
				}
				slices.Sort(names)
				if !slices.Equal(names, c.names) {
					t.Fatalf("%s: listed %v, want %v (%s)", path, names, c.names, c.source)
				}
			default:
				if got := out["volume"].(map[string]any)["name"]; got != c.names[0] {
					t.Fatalf("%s: name %v, want %s (%s)", c.name, got, c.names[0], c.source)
				}
			}
		})
	}
}
