package volume

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Filters of a volume list, as Cinder applies them at microversion 3.0
// (cinder/api/v3/volumes.py _get_volumes, api_utils.remove_invalid_filter_options,
// db/api.py _process_volume_filters): the parameters that are not filters
// are set aside; for a caller who is not an admin a filter outside
// resource_filters.json's volume list is dropped (ignored); for an admin
// every filter is a column of the volume, and one that is none matches
// no volume. The table of every case and its source is in
// unknown_test.go.
var (
	// notFilters are the list's other parameters (pagination, sorting,
	// all_tenants, which the volume API pops before filtering).
	notFilters = []string{"limit", "marker", "offset", "sort", "sort_key", "sort_dir", "all_tenants"}
	// userFilters are the filters a caller who is not an admin may use
	// (etc/cinder/resource_filters.json, less group_id, created_at and
	// updated_at, added at 3.10 and 3.60).
	userFilters = []string{"name", "status", "metadata", "bootable", "migration_status", "availability_zone", "size"}
	// columns are the volume's attributes an admin may filter on, as
	// the view shows them ("name" and "display_name" are one column).
	columns = []string{"id", "name", "display_name", "description", "display_description", "status", "size",
		"availability_zone", "bootable", "migration_status", "metadata", "user_id", "project_id", "multiattach",
		"encrypted", "replication_status", "consistencygroup_id", "snapshot_id", "source_volid", "volume_type"}
)

// listFilter is the predicate of q's filters over volume views.
func listFilter(q url.Values, admin bool) (func(map[string]any) bool, error) {
	type test struct{ key, want string }
	var tests []test
	none := false
	for k, vs := range q {
		switch {
		case slices.Contains(notFilters, k):
		case !admin && !slices.Contains(userFilters, k):
			// dropped, as Cinder drops it
		case admin && !slices.Contains(columns, k):
			none = true
		default:
			tests = append(tests, test{k, vs[len(vs)-1]})
		}
	}
	return func(v map[string]any) bool {
		if none {
			return false
		}
		for _, t := range tests {
			if !matchFilter(v, t.key, t.want) {
				return false
			}
		}
		return true
	}, nil
}

// matchFilter reports whether view v has want for filter k.
func matchFilter(v map[string]any, k, want string) bool {
	switch k {
	case "display_name":
		k = "name"
	case "display_description":
		k = "description"
	case "project_id":
		k = "os-vol-tenant-attr:tenant_id"
	case "metadata":
		// A Python dict literal, {'k': 'v'}: every pair must be there.
		var m map[string]string
		if json.Unmarshal([]byte(strings.ReplaceAll(want, "'", `"`)), &m) != nil {
			return false
		}
		have, _ := v["metadata"].(map[string]string)
		for mk, mv := range m {
			if have[mk] != mv {
				return false
			}
		}
		return true
	}
	x, ok := v[k]
	if !ok || x == nil {
		return false
	}
	return fmt.Sprint(x) == want
}
