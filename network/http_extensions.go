package network

import (
	"net/http"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// extension is one of Neutron's API extensions this service implements.
type extension struct {
	alias, name, description, updated string
}

// extensions are the extensions served, each in full unless its
// description says otherwise. Clients look them up before using what
// they add (openstackclient asks for tag-ports-during-bulk-creation
// before every port create), so none is listed that is not served:
// there are no routers, floating IPs, quotas, QoS, subnet pools,
// allowed address pairs, DHCP options, DNS integration, trunks or
// availability zones.
var extensions = []extension{
	{"security-group", "security-group", "The security groups extension.", "2012-10-05T10:00:00-00:00"},
	{"port-security", "Port Security", "Provides port security", "2012-07-23T10:00:00-00:00"},
	{"port-security-groups-filtering", "Port filtering on security groups",
		"Provides security groups filtering when listing ports", "2018-01-09T09:00:00-00:00"},
	{"security-groups-rules-belongs-to-default-sg", "Security group rule belongs to the project's default security group",
		"Flag to determine if the security group rule belongs to the project's default security group", "2023-05-23T10:00:00-00:00"},
	{"standard-attr-description", "standard-attr-description",
		"Extension to add descriptions to standard attributes", "2016-02-10T10:00:00-00:00"},
	{"standard-attr-timestamp", "Resource timestamps",
		"Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.", "2016-09-12T10:00:00-00:00"},
	{"standard-attr-revisions", "Resource revision numbers",
		"This extension will display the revision number of neutron resources.", "2016-04-11T10:00:00-00:00"},
	{"standard-attr-tag", "Tag support for resources with standard attribute",
		"Enables to set tag on resources with standard attribute.", "2017-01-01T00:00:00-00:00"},
	{"tag-creation", "Tag creation extension", "Allow to create multiple tags for a resource", "2024-07-23T10:00:00-00:00"},
	{"tag-ports-during-bulk-creation", "Tag Ports During Bulk Creation", "Allow to tag ports during bulk creation",
		"2019-12-29T19:00:00-00:00"},
	{"project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled.",
		"2016-09-09T09:09:09-09:09"},
	{"binding", "Port Binding",
		"Expose port bindings of a virtual port to external application (read-only here: the container service binds ports)",
		"2014-02-03T10:00:00-00:00"},
	{"net-mtu", "Network MTU", "Provides MTU attribute for a network resource.", "2015-03-25T10:00:00-00:00"},
	{"net-mtu-writable", "Network MTU (writable)", "Provides a writable MTU attribute for a network resource.",
		"2017-07-12T00:00:00-00:00"},
	{"external-net", "Neutron external network",
		"Adds external network attribute to network resource (a marker here: there are no routers or floating IPs).",
		"2013-01-14T10:00:00-00:00"},
	{"sorting", "Sorting support", "Extension that indicates that sorting is enabled.", "2016-06-12T00:00:00-00:00"},
	{"pagination", "Pagination support", "Extension that indicates that pagination is enabled.", "2016-06-12T00:00:00-00:00"},
	{"filter-validation", "Filter parameters validation", "Provides validation on filter parameters.",
		"2018-07-04T10:00:00-00:00"},
}

func (e extension) view() map[string]any {
	return map[string]any{"alias": e.alias, "name": e.name, "description": e.description, "updated": e.updated,
		"links": []any{}}
}

func (h *Handler) listExtensions(r *http.Request, _ auth.Principal) (any, int, error) {
	out := make([]any, 0, len(extensions))
	for _, e := range extensions {
		out = append(out, e.view())
	}
	return map[string]any{"extensions": out}, http.StatusOK, nil
}

func (h *Handler) showExtension(r *http.Request, _ auth.Principal) (any, int, error) {
	alias := r.PathValue("alias")
	for _, e := range extensions {
		if e.alias == alias {
			return map[string]any{"extension": e.view()}, http.StatusOK, nil
		}
	}
	return nil, 0, typed(errdefs.NotFoundf("Extension with alias %s does not exist", alias), errdefs.ErrNotFound, "ExtensionNotFound")
}
