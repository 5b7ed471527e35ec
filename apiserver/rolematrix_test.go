package apiserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/identity"
	"github.com/zun-go/zun/network"
	"github.com/zun-go/zun/policy"
	"github.com/zun-go/zun/registry"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store/dbtest"
	"github.com/zun-go/zun/volume"
)

// The route × role × project matrix: every route of the container API and
// of the embedded network, volume, image and identity services, called by
// the admin, a member and a reader of project A and a member of project B,
// under both policy profiles, on objects of project A. It asserts that B
// never reads or changes A's objects (404, and A's ids absent from B's
// lists), that only admins pass admin-only routes (403), that readers
// change nothing where the rules say readers read (403), and that the
// callers the rules allow do pass (no 401, 403 or 404). The routes come
// from the handlers' own tables: a route without an entry in matrix below
// fails the test.

// access says who may call a probe, and what it reaches.
type access int

const (
	public     access = iota // no token needed: everyone passes
	anyToken                 // any caller: nothing of a project's
	listOwn                  // lists or reads the caller's own project: everyone passes; B's answer holds none of A's ids
	createOwn                // creates in the caller's project: admin and member pass; B too (in B); readers as writes
	readA                    // reads an object of A: A's callers pass; B is refused (404 unless other says)
	writeA                   // changes an object of A: A's admin and member pass, readers as writes; B is refused
	adminOnly                // admins only: A's member and reader get 403, B 403 or 404
	userA                    // the user of A's member: the admin and that member pass, the others get 403
	memberSelf               // what only a user does to itself (its password): A's member passes, the others get 403
)

// probe is one call of a route. Path, body and header values may hold
// {placeholders} (fixture): {container} is a container of A made once,
// {container!} a new one for this call, {self} the caller's user id.
type probe struct {
	access       access
	method, path string
	body         string
	header       map[string]string
	// other is B's status: for readA and writeA 404 unless set, as a
	// project never learns of another's objects; for createOwn, when
	// set, the create names an object of A.
	other int
	// readersNever: readers are refused whatever the profile (a commit
	// writes into the image store, whose add_image needs a member).
	readersNever bool
}

// svc names a service of the matrix, its mount point and its writes'
// rule for readers.
type svc struct {
	name, prefix string
	// readersWrite reports whether a reader of a project may change its
	// objects under profile: Zun's own defaults say yes for the
	// container API; the embedded services follow Neutron, Cinder and
	// Glance, whose defaults say no.
	readersWrite func(policy.Profile) bool
}

var (
	zunSvc   = svc{"container", "", func(p policy.Profile) bool { return p == policy.ProfileZun }}
	netSvc   = svc{"network", "/network", never}
	volSvc   = svc{"volume", "/volume", never}
	imgSvc   = svc{"image", "/image", never}
	identSvc = svc{"identity", "/identity", never}
)

func never(policy.Profile) bool { return false }

// roles are the callers of the matrix, each with its token in the stack.
var roles = []string{"admin", "member", "reader", "other"}

// matrix is the expectation table: service and route pattern to its
// probes. Objects are A's; B is "other".
func matrix() map[string][]probe {
	p := func(a access, method, path string) probe { return probe{access: a, method: method, path: path} }
	withBody := func(pr probe, body string) probe { pr.body = body; return pr }
	v114 := map[string]string{"OpenStack-API-Version": "container 1.14"}
	m := map[string][]probe{
		// The container API (apiserver/server.go).
		"container GET /{$}": {p(public, "GET", "/")},
		"container GET /v1":  {p(public, "GET", "/v1")},
		"container GET /v1/containers": {p(listOwn, "GET", "/v1/containers"),
			p(adminOnly, "GET", "/v1/containers?all_projects=1")},
		"container POST /v1/containers": {withBody(p(createOwn, "POST", "/v1/containers"),
			`{"image": "`+testImage+`", "command": ["sleep", "1000"], "memory": "16", "cpu": 0.1}`)},
		"container GET /v1/containers/{id}":   {p(readA, "GET", "/v1/containers/{container}")},
		"container PATCH /v1/containers/{id}": {withBody(p(writeA, "PATCH", "/v1/containers/{container}"), `{"cpu": 0.2}`)},
		"container DELETE /v1/containers/{id}": {p(writeA, "DELETE", "/v1/containers/{container!}?stop=true"),
			p(adminOnly, "DELETE", "/v1/containers/{container!}?force=true")},
		"container POST /v1/containers/{id}/start":   {p(writeA, "POST", "/v1/containers/{container}/start")},
		"container POST /v1/containers/{id}/stop":    {p(writeA, "POST", "/v1/containers/{container}/stop")},
		"container POST /v1/containers/{id}/reboot":  {p(writeA, "POST", "/v1/containers/{container}/reboot")},
		"container POST /v1/containers/{id}/pause":   {p(writeA, "POST", "/v1/containers/{container}/pause")},
		"container POST /v1/containers/{id}/unpause": {p(writeA, "POST", "/v1/containers/{container}/unpause")},
		"container POST /v1/containers/{id}/kill":    {p(writeA, "POST", "/v1/containers/{container}/kill?signal=SIGCONT")},
		"container POST /v1/containers/{id}/rename":  {p(writeA, "POST", "/v1/containers/{container}/rename?name={name!}")},
		"container GET /v1/containers/{id}/logs":     {p(writeA, "GET", "/v1/containers/{container}/logs")},
		"container POST /v1/containers/{id}/execute": {p(writeA, "POST", "/v1/containers/{container}/execute?command=true&run=true")},
		"container GET /v1/containers/{id}/stats":    {p(readA, "GET", "/v1/containers/{container}/stats")},
		"container GET /v1/containers/{id}/top":      {p(readA, "GET", "/v1/containers/{container}/top")},
		"container POST /v1/containers/{id}/commit": {{access: writeA, method: "POST",
			path: "/v1/containers/{container}/commit?repository=matrix&tag={name!}", readersNever: true}},
		"container GET /v1/containers/{id}/network_list":    {p(readA, "GET", "/v1/containers/{container}/network_list")},
		"container POST /v1/containers/{id}/network_attach": {p(writeA, "POST", "/v1/containers/{container}/network_attach?network={network}")},
		"container POST /v1/containers/{id}/network_detach": {p(writeA, "POST", "/v1/containers/{container}/network_detach?network={network}")},
		// Security groups of containers are Zun's up to 1.14.
		"container POST /v1/containers/{id}/add_security_group": {{access: writeA, method: "POST",
			path: "/v1/containers/{container}/add_security_group?name={secgroup}", header: v114}},
		"container POST /v1/containers/{id}/remove_security_group": {{access: writeA, method: "POST",
			path: "/v1/containers/{container}/remove_security_group?name={secgroup}", header: v114}},
		"container GET /v1/containers/{id}/container_actions": {p(readA, "GET", "/v1/containers/{container}/container_actions")},
		"container GET /v1/containers/{id}/container_actions/{rid}": {
			p(readA, "GET", "/v1/containers/{container}/container_actions/{request}")},
		"container POST /v1/capsules":        {withBody(p(createOwn, "POST", "/v1/capsules"), matrixCapsule)},
		"container GET /v1/capsules":         {p(listOwn, "GET", "/v1/capsules"), p(listOwn, "GET", "/v1/capsules?all_projects=1")},
		"container GET /v1/capsules/{id}":    {p(readA, "GET", "/v1/capsules/{capsule}")},
		"container DELETE /v1/capsules/{id}": {p(writeA, "DELETE", "/v1/capsules/{capsule!}")},
		// This project's extension: a capsule's containers, under the
		// container routes' rules.
		"container GET /v1/capsules/{id}/containers/{name}/logs":     {p(writeA, "GET", "/v1/capsules/{capsule}/containers/web/logs")},
		"container POST /v1/capsules/{id}/containers/{name}/execute": {p(writeA, "POST", "/v1/capsules/{capsule}/containers/web/execute?command=true&run=true")},
		"container GET /v1/capsules/{id}/containers/{name}/top":      {p(readA, "GET", "/v1/capsules/{capsule}/containers/web/top")},
		"container GET /v1/capsules/{id}/containers/{name}/stats":    {p(readA, "GET", "/v1/capsules/{capsule}/containers/web/stats")},
		"container GET /v1/hosts":                                    {p(adminOnly, "GET", "/v1/hosts")},
		"container GET /v1/hosts/{id}":                               {p(adminOnly, "GET", "/v1/hosts/{host}")},
		"container GET /v1/services":                                 {p(adminOnly, "GET", "/v1/services")},
		"container PUT /v1/services/{action}":                        {withBody(p(adminOnly, "PUT", "/v1/services/enable"), `{"host": "host-1", "binary": "zun-compute"}`)},
		"container DELETE /v1/services":                              {p(adminOnly, "DELETE", "/v1/services?host=host-1&binary=zun-compute")},
		"container GET /v1/availability_zones":                       {p(listOwn, "GET", "/v1/availability_zones")},
		"container POST /v1/images":                                  {withBody(p(adminOnly, "POST", "/v1/images"), `{"repo": "`+testImage+`", "host": "host-1"}`)},
		"container GET /v1/images":                                   {p(adminOnly, "GET", "/v1/images")},
		"container GET /v1/images/{rest...}":                         {p(adminOnly, "GET", "/v1/images/{zimage}"), p(listOwn, "GET", "/v1/images/busybox/search")},
		"container DELETE /v1/images/{id}":                           {p(adminOnly, "DELETE", "/v1/images/{zimage!}")},
		"container POST /v1/registries":                              {withBody(p(createOwn, "POST", "/v1/registries"), `{"registry": {"name": "{name!}", "domain": "reg.example:5000", "username": "u", "password": "pw"}}`)},
		"container GET /v1/registries":                               {p(listOwn, "GET", "/v1/registries"), p(adminOnly, "GET", "/v1/registries?all_projects=1")},
		"container GET /v1/registries/{id}":                          {p(readA, "GET", "/v1/registries/{registry}")},
		"container PATCH /v1/registries/{id}":                        {withBody(p(writeA, "PATCH", "/v1/registries/{registry}"), `{"registry": {"username": "u2"}}`)},
		"container DELETE /v1/registries/{id}":                       {p(writeA, "DELETE", "/v1/registries/{registry!}")},
		"container GET /v1/quotas/{project}":                         {{access: readA, method: "GET", path: "/v1/quotas/{project}", other: 403}},
		"container PUT /v1/quotas/{project}":                         {withBody(p(adminOnly, "PUT", "/v1/quotas/{project}"), `{"containers": 100}`)},
		"container DELETE /v1/quotas/{project}":                      {p(adminOnly, "DELETE", "/v1/quotas/{project}")},
		"container GET /v1/quotas/{project}/defaults":                {p(listOwn, "GET", "/v1/quotas/{own-project}/defaults")},
		"container GET /v1/quota_classes/{class}":                    {p(adminOnly, "GET", "/v1/quota_classes/default")},
		"container PUT /v1/quota_classes/{class}":                    {withBody(p(adminOnly, "PUT", "/v1/quota_classes/default"), `{"containers": 100}`)},

		// The volume service (volume/http.go).
		"volume GET /v3/volumes":         {p(listOwn, "GET", "/volume/v3/volumes"), p(listOwn, "GET", "/volume/v3/volumes?all_tenants=1")},
		"volume GET /v3/volumes/detail":  {p(listOwn, "GET", "/volume/v3/{own-project}/volumes/detail")},
		"volume POST /v3/volumes":        {withBody(p(createOwn, "POST", "/volume/v3/volumes"), `{"volume": {"size": 1, "name": "{name!}"}}`)},
		"volume GET /v3/volumes/{id}":    {p(readA, "GET", "/volume/v3/volumes/{volume}")},
		"volume PUT /v3/volumes/{id}":    {withBody(p(writeA, "PUT", "/volume/v3/volumes/{volume}"), `{"volume": {"description": "d"}}`)},
		"volume DELETE /v3/volumes/{id}": {p(writeA, "DELETE", "/volume/v3/volumes/{volume!}")},

		// The image service (glance/http.go).
		"image GET /v2/images":      {p(listOwn, "GET", "/image/v2/images")},
		"image POST /v2/images":     {withBody(p(createOwn, "POST", "/image/v2/images"), `{"name": "{name!}", "container_format": "docker", "disk_format": "raw"}`)},
		"image GET /v2/images/{id}": {p(readA, "GET", "/image/v2/images/{image}")},
		"image PATCH /v2/images/{id}": {{access: writeA, method: "PATCH", path: "/image/v2/images/{image}",
			body: `[{"op": "replace", "path": "/name", "value": "renamed"}]`, header: map[string]string{"Content-Type": "application/openstack-images-v2.1-json-patch"}}},
		"image DELETE /v2/images/{id}": {p(writeA, "DELETE", "/image/v2/images/{image!}")},
		"image PUT /v2/images/{id}/file": {{access: writeA, method: "PUT", path: "/image/v2/images/{image!}/file",
			body: "data", header: map[string]string{"Content-Type": "application/octet-stream"}}},
		// Glance's download_image needs the member role.
		"image GET /v2/images/{id}/file":          {p(writeA, "GET", "/image/v2/images/{image-data}/file")},
		"image PUT /v2/images/{id}/tags/{tag}":    {p(writeA, "PUT", "/image/v2/images/{image}/tags/t")},
		"image DELETE /v2/images/{id}/tags/{tag}": {p(writeA, "DELETE", "/image/v2/images/{image-tagged!}/tags/t")},

		// The network service (network/http.go).
		"network GET /v2.0/extensions":         {p(anyToken, "GET", "/network/v2.0/extensions")},
		"network GET /v2.0/extensions/{alias}": {p(anyToken, "GET", "/network/v2.0/extensions/security-group")},
		"network POST /v2.0/networks":          {withBody(p(createOwn, "POST", "/network/v2.0/networks"), `{"network": {"name": "{name!}"}}`)},
		// Subnets, ports and rules name A's network or group: B's
		// creates are 404 as Neutron answers them.
		"network POST /v2.0/subnets": {{access: createOwn, method: "POST", path: "/network/v2.0/subnets", other: 404,
			body: `{"subnet": {"network_id": "{network}", "cidr": "{cidr!}", "ip_version": 4}}`}},
		"network POST /v2.0/ports": {{access: createOwn, method: "POST", path: "/network/v2.0/ports", other: 404,
			body: `{"port": {"network_id": "{network}"}}`}},
		"network POST /v2.0/security-groups": {withBody(p(createOwn, "POST", "/network/v2.0/security-groups"), `{"security_group": {"name": "{name!}"}}`)},
		"network POST /v2.0/security-group-rules": {{access: createOwn, method: "POST", path: "/network/v2.0/security-group-rules", other: 404,
			body: `{"security_group_rule": {"security_group_id": "{secgroup}", "direction": "ingress", "protocol": "tcp", "port_range_min": {portnum!}, "port_range_max": {portnum!}}}`}},
		"network GET /v2.0/security-group-rules":         {p(listOwn, "GET", "/network/v2.0/security-group-rules")},
		"network GET /v2.0/security-group-rules/{id}":    {p(readA, "GET", "/network/v2.0/security-group-rules/{rule}")},
		"network DELETE /v2.0/security-group-rules/{id}": {p(writeA, "DELETE", "/network/v2.0/security-group-rules/{rule!}")},
	}
	// The four resources of the network service alike, with their tags.
	for _, r := range []struct{ collection, one, fixture, update string }{
		{"networks", "network", "network", `{"network": {"description": "d"}}`},
		{"subnets", "subnet", "subnet", `{"subnet": {"description": "d"}}`},
		{"ports", "port", "port", `{"port": {"description": "d"}}`},
		{"security-groups", "security_group", "secgroup", `{"security_group": {"description": "d"}}`},
	} {
		base, obj, fresh := "/network/v2.0/"+r.collection, "{"+r.fixture+"}", "{"+r.fixture+"-tagged!}"
		key := "network %s /v2.0/" + r.collection
		m[fmt.Sprintf(key, "GET")] = []probe{p(listOwn, "GET", base)}
		m[fmt.Sprintf(key, "GET")+"/{id}"] = []probe{p(readA, "GET", base+"/"+obj)}
		m[fmt.Sprintf(key, "PUT")+"/{id}"] = []probe{withBody(p(writeA, "PUT", base+"/"+obj), r.update)}
		m[fmt.Sprintf(key, "DELETE")+"/{id}"] = []probe{p(writeA, "DELETE", base+"/"+fresh)}
		m[fmt.Sprintf(key, "GET")+"/{id}/tags"] = []probe{p(readA, "GET", base+"/"+obj+"/tags")}
		m[fmt.Sprintf(key, "PUT")+"/{id}/tags"] = []probe{withBody(p(writeA, "PUT", base+"/"+obj+"/tags"), `{"tags": ["t"]}`)}
		m[fmt.Sprintf(key, "DELETE")+"/{id}/tags"] = []probe{p(writeA, "DELETE", base+"/"+fresh+"/tags")}
		m[fmt.Sprintf(key, "GET")+"/{id}/tags/{tag}"] = []probe{p(readA, "GET", base+"/"+obj+"/tags/t")}
		m[fmt.Sprintf(key, "PUT")+"/{id}/tags/{tag}"] = []probe{p(writeA, "PUT", base+"/"+obj+"/tags/t")}
		m[fmt.Sprintf(key, "DELETE")+"/{id}/tags/{tag}"] = []probe{p(writeA, "DELETE", base+"/"+fresh+"/tags/t")}
	}

	// The identity service (identity/http.go): Keystone's rules, which
	// no profile changes.
	subject := map[string]string{"X-Subject-Token": "{token!}"}
	id := func(a access, method, path string) probe { return p(a, method, "/identity"+path) }
	for k, v := range map[string][]probe{
		"GET /{$}":                 {id(public, "GET", "/")},
		"GET /v3":                  {id(public, "GET", "/v3")},
		"GET /v3/{$}":              {id(public, "GET", "/v3/")},
		"POST /v3/auth/tokens":     {withBody(id(public, "POST", "/v3/auth/tokens"), `{}`)},
		"GET /v3/auth/tokens":      {{access: anyToken, method: "GET", path: "/identity/v3/auth/tokens", header: subject}},
		"HEAD /v3/auth/tokens":     {{access: anyToken, method: "HEAD", path: "/identity/v3/auth/tokens", header: subject}},
		"DELETE /v3/auth/tokens":   {{access: anyToken, method: "DELETE", path: "/identity/v3/auth/tokens", header: subject}},
		"GET /v3/auth/catalog":     {id(anyToken, "GET", "/v3/auth/catalog")},
		"GET /v3/auth/projects":    {id(listOwn, "GET", "/v3/auth/projects")},
		"GET /v3/auth/domains":     {id(anyToken, "GET", "/v3/auth/domains")},
		"GET /v3/domains":          {id(adminOnly, "GET", "/v3/domains")},
		"POST /v3/domains":         {withBody(id(adminOnly, "POST", "/v3/domains"), `{"domain": {"name": "{name!}"}}`)},
		"GET /v3/domains/{id}":     {id(adminOnly, "GET", "/v3/domains/default")},
		"GET /v3/projects":         {id(adminOnly, "GET", "/v3/projects")},
		"POST /v3/projects":        {withBody(id(adminOnly, "POST", "/v3/projects"), `{"project": {"name": "{name!}", "domain_id": "default"}}`)},
		"GET /v3/projects/{id}":    {id(adminOnly, "GET", "/v3/projects/{project}")},
		"PATCH /v3/projects/{id}":  {withBody(id(adminOnly, "PATCH", "/v3/projects/{tmp-project}"), `{"project": {"description": "d"}}`)},
		"DELETE /v3/projects/{id}": {id(adminOnly, "DELETE", "/v3/projects/{tmp-project!}")},
		"GET /v3/users":            {id(adminOnly, "GET", "/v3/users")},
		"POST /v3/users":           {withBody(id(adminOnly, "POST", "/v3/users"), `{"user": {"name": "{name!}", "domain_id": "default", "password": "pw"}}`)},
		"GET /v3/users/{id}":       {id(anyToken, "GET", "/v3/users/{self}"), id(userA, "GET", "/v3/users/{member-user}")},
		"PATCH /v3/users/{id}":     {withBody(id(adminOnly, "PATCH", "/v3/users/{tmp-user}"), `{"user": {"description": "d"}}`)},
		"DELETE /v3/users/{id}":    {id(adminOnly, "DELETE", "/v3/users/{tmp-user!}")},
		"POST /v3/users/{id}/password": {withBody(id(anyToken, "POST", "/v3/users/{self}/password"), `{}`),
			withBody(id(memberSelf, "POST", "/v3/users/{member-user}/password"), `{}`)},
		"GET /v3/users/{id}/projects": {id(anyToken, "GET", "/v3/users/{self}/projects"), id(userA, "GET", "/v3/users/{member-user}/projects")},
		"GET /v3/roles":               {id(adminOnly, "GET", "/v3/roles")},
		"POST /v3/roles":              {withBody(id(adminOnly, "POST", "/v3/roles"), `{"role": {"name": "{name!}"}}`)},
		"GET /v3/roles/{id}":          {id(adminOnly, "GET", "/v3/roles/{role}")},
		"DELETE /v3/roles/{id}":       {id(adminOnly, "DELETE", "/v3/roles/{tmp-role!}")},
		"GET /v3/role_assignments":    {id(adminOnly, "GET", "/v3/role_assignments")},
		"GET /v3/services":            {id(adminOnly, "GET", "/v3/services")},
		"GET /v3/endpoints":           {id(adminOnly, "GET", "/v3/endpoints")},
		"GET /v3/regions":             {id(anyToken, "GET", "/v3/regions")},
	} {
		m["identity "+k] = v
	}
	for _, target := range []string{"projects", "domains"} {
		obj := map[string]string{"projects": "{tmp-project}", "domains": "default"}[target]
		base := "/v3/" + target + "/{target}/users/{user}/roles"
		grant := "/v3/" + target + "/" + obj + "/users/{granted-user}/roles"
		m["identity GET "+base] = []probe{id(adminOnly, "GET", grant)}
		m["identity PUT "+base+"/{role}"] = []probe{id(adminOnly, "PUT", "/v3/"+target+"/"+obj+"/users/{tmp-user}/roles/{role}")}
		m["identity HEAD "+base+"/{role}"] = []probe{id(adminOnly, "HEAD", grant+"/{role}")}
		m["identity GET "+base+"/{role}"] = []probe{id(adminOnly, "GET", grant+"/{role}")}
		m["identity DELETE "+base+"/{role}"] = []probe{id(adminOnly, "DELETE", "/v3/"+target+"/"+obj+"/users/{granted-user!}/roles/{role}")}
	}
	return m
}

// TestRoleMatrix runs the matrix under both policy profiles.
func TestRoleMatrix(t *testing.T) {
	for _, profile := range policy.Profiles() {
		t.Run(string(profile), func(t *testing.T) {
			s := newMatrixStack(t, profile)
			want := matrix()
			for _, r := range s.routes {
				if _, ok := want[r]; !ok {
					t.Errorf("route %q has no entry in the role matrix: add one", r)
				}
			}
			for k := range want {
				if !slices.Contains(s.routes, k) {
					t.Errorf("the role matrix has an entry for %q, which is not a route", k)
				}
			}
			for _, r := range s.routes {
				for _, pr := range want[r] {
					for _, role := range roles {
						t.Run(r+"/"+pr.method+" "+pr.path+"/"+role, func(t *testing.T) {
							s.check(t, serviceOf(r), pr, role)
						})
					}
				}
			}
		})
	}
}

func serviceOf(route string) svc {
	name, _, _ := strings.Cut(route, " ")
	for _, s := range []svc{zunSvc, netSvc, volSvc, imgSvc, identSvc} {
		if s.name == name {
			return s
		}
	}
	panic("no service " + name)
}

// outcome is what a probe must answer.
type outcome int

const (
	pass      outcome = iota // let through: anything but 401, 403, 404, 405, 406 and 5xx
	forbidden                // 403
	hidden                   // 404
	refused                  // 403 or 404
)

// expect returns the outcome of pr for role under profile.
func expect(sv svc, pr probe, role string, profile policy.Profile) outcome {
	readerWrites := sv.readersWrite(profile) && !pr.readersNever
	switch pr.access {
	case public, anyToken, listOwn:
		return pass
	case createOwn:
		switch {
		case role == "reader" && !readerWrites:
			return forbidden
		case role == "other" && pr.other == 404:
			return hidden
		}
		return pass
	case readA, writeA:
		switch {
		case role == "other" && pr.other == 403:
			return forbidden
		case role == "other":
			return hidden
		case role == "reader" && pr.access == writeA && !readerWrites:
			return forbidden
		}
		return pass
	case adminOnly:
		switch role {
		case "admin":
			return pass
		case "other":
			return refused
		}
		return forbidden
	case userA:
		if role == "admin" || role == "member" {
			return pass
		}
		return forbidden
	case memberSelf:
		if role == "member" {
			return pass
		}
		return forbidden
	}
	panic("unknown access")
}

func (s *matrixStack) check(t *testing.T, sv svc, pr probe, role string) {
	want := expect(sv, pr, role, s.profile)
	path := s.expand(t, pr.path, role)
	body := s.expand(t, pr.body, role)
	header := map[string]string{}
	for k, v := range pr.header {
		header[k] = s.expand(t, v, role)
	}
	token := s.tokens[role]
	if pr.access == public {
		token = ""
	}
	status, got := s.do(t, token, pr.method, path, body, header)
	ok := false
	switch want {
	case pass:
		// A 405 or 406 never reached the rules.
		ok = status < 500 && !slices.Contains([]int{401, 403, 404, 405, 406}, status)
	case forbidden:
		ok = status == 403
	case hidden:
		ok = status == 404
	case refused:
		ok = status == 403 || status == 404
	}
	if !ok {
		t.Fatalf("%s %s as %s under %s: %d %.300s; want %s", pr.method, path, role, s.profile, status, got, [...]string{"authorized", "403", "404", "403 or 404"}[want])
	}
	if role == "other" && status < 300 {
		for _, a := range s.aIDs() {
			if strings.Contains(got, a) {
				t.Fatalf("%s %s as a member of B under %s shows A's %s: %.300s", pr.method, path, s.profile, a, got)
			}
		}
	}
}

// matrixStack is the whole control plane in one process: the container
// API under a policy profile, the embedded identity, network, volume and
// image services, one compute host on the fake runtime, all on one
// embedded etcd.
type matrixStack struct {
	profile policy.Profile
	url     string
	routes  []string
	ids     *identity.Service
	// tokens and users by role; projects A and B.
	tokens, users map[string]string
	projA, projB  string
	roleIDs       map[string]string

	mu       sync.Mutex
	fixtures map[string]string
	seq      int
	a        []string // ids of A's objects
}

func newMatrixStack(t *testing.T, profile policy.Profile) *matrixStack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db := dbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sealer, err := registry.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}

	icfg := identity.DefaultConfig()
	icfg.BcryptCost = 4
	ids, err := identity.Open(ctx, db, icfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ids.Close)
	if _, err := ids.Bootstrap(ctx, identity.Bootstrap{Password: "admin-pw"}); err != nil {
		t.Fatal(err)
	}

	drv := fake.New(fake.Options{Images: []string{testImage}})
	p := startPlane(t, controlplane.Config{Store: db, NameScope: "project", Scheduler: scheduler.Default(),
		Sealer: sealer, ImageDir: t.TempDir(), Logger: log,
		Agents: []controlplane.Agent{{Config: compute.Config{Host: "host-1", SyncInterval: 200 * time.Millisecond,
			HeartbeatInterval: 100 * time.Millisecond}, Driver: drv}}})
	volumes, images, networks := p.Volumes, p.ImageStore, p.Networks

	rules, err := policy.NewProfile(profile, nil)
	if err != nil {
		t.Fatal(err)
	}
	deps := p.Deps()
	deps.Auth, deps.Policy = ids, rules
	api := apiserver.New(apiserver.DefaultConfig(), deps)
	idh := identity.NewHandler(ids, identity.HandlerOptions{Prefix: "/identity"})
	volh := volume.NewHandler(volumes, ids, volume.HandlerOptions{Prefix: "/volume", Logger: log})
	imgh := glance.NewHandler(images, ids, glance.HandlerOptions{Prefix: "/image", Logger: log})
	neth := network.NewHandler(networks, ids, network.HandlerOptions{Prefix: "/network", Logger: log})
	mux := http.NewServeMux()
	for prefix, h := range map[string]http.Handler{"/identity": idh, "/volume": volh, "/image": imgh, "/network": neth} {
		mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	}
	mux.Handle("/", api)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	s := &matrixStack{profile: profile, url: ts.URL, ids: ids, fixtures: map[string]string{},
		tokens: map[string]string{}, users: map[string]string{}, roleIDs: map[string]string{}}
	for prefix, rs := range map[string][]string{"container": api.Routes(), "identity": idh.Routes(),
		"volume": volh.Routes(), "image": imgh.Routes(), "network": neth.Routes()} {
		for _, r := range rs {
			s.routes = append(s.routes, prefix+" "+r)
		}
	}
	slices.Sort(s.routes)
	s.people(t, ctx)

	return s
}

// people makes projects A and B, the four callers and their tokens: an
// admin, a member and a reader of A, a member of B. Each holds one role;
// the identity service adds the roles it implies.
func (s *matrixStack) people(t *testing.T, ctx context.Context) {
	for _, r := range []string{"admin", "member", "reader"} {
		roles := s.ids.Roles(r)
		if len(roles) != 1 {
			t.Fatalf("role %s: %v", r, roles)
		}
		s.roleIDs[r] = roles[0].ID
	}
	project := func(name string) string {
		p, err := s.ids.CreateProject(ctx, identity.Project{Name: name, DomainID: identity.DefaultDomainID, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	s.projA, s.projB = project("project-a"), project("project-b")
	s.ofA(s.projA)
	for _, c := range []struct{ who, project, role string }{
		{"admin", s.projA, "admin"}, {"member", s.projA, "member"}, {"reader", s.projA, "reader"}, {"other", s.projB, "member"},
	} {
		u, err := s.ids.CreateUser(ctx, identity.User{Name: "matrix-" + c.who, DomainID: identity.DefaultDomainID, Enabled: true}, "pw-"+c.who)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ids.Grant(ctx, identity.Assignment{UserID: u.ID, RoleID: s.roleIDs[c.role], ProjectID: c.project}); err != nil {
			t.Fatal(err)
		}
		s.users[c.who] = u.ID
		s.tokens[c.who] = s.login(t, c.who, c.project)
	}
}

func (s *matrixStack) login(t *testing.T, who, project string) string {
	t.Helper()
	tok, err := s.ids.Authenticate(context.Background(), identity.AuthRequest{Methods: []string{"password"},
		Password: &identity.PasswordCredentials{UserID: s.users[who], Password: "pw-" + who},
		Scope:    identity.Scope{ProjectID: project}})
	if err != nil {
		t.Fatalf("login %s: %v", who, err)
	}
	return tok.ID
}

// do makes a request and returns its status and body.
func (s *matrixStack) do(t *testing.T, token, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("OpenStack-API-Version", "container 1.40")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// mustDo is do as role for a status below 300; it returns the body.
func (s *matrixStack) mustDo(t *testing.T, role, method, path, body string) map[string]any {
	t.Helper()
	status, got := s.do(t, s.tokens[role], method, path, body, nil)
	if status >= 300 {
		t.Fatalf("fixture: %s %s as %s: %d %s", method, path, role, status, got)
	}
	var v map[string]any
	_ = json.Unmarshal([]byte(got), &v)
	return v
}

// matrixCapsule is the body of a capsule create: one small container,
// unnamed (its members' names are then unique).
const matrixCapsule = `{"template": {"kind": "capsule", "metadata": {}, "spec": {"containers": [{"name": "web", "image": "` + testImage +
	`", "command": ["sleep", "1000"], "resources": {"requests": {"cpu": 0.1, "memory": 16}}}]}}}`

var placeholder = regexp.MustCompile(`\{[a-z-]+!?\}`)

// expand replaces the placeholders of text.
func (s *matrixStack) expand(t *testing.T, text, role string) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(text, func(ph string) string {
		name := strings.Trim(ph, "{}")
		switch name {
		case "self":
			return s.users[role]
		case "own-project":
			if role == "other" {
				return s.projB
			}
			return s.projA
		case "project":
			return s.projA
		case "member-user":
			return s.users["member"]
		case "role":
			return s.roleIDs["reader"]
		}
		if strings.HasSuffix(name, "!") {
			return s.make(t, name, role)
		}
		s.mu.Lock()
		v, ok := s.fixtures[name]
		s.mu.Unlock()
		if !ok {
			v = s.make(t, name, role)
			s.mu.Lock()
			s.fixtures[name] = v
			s.mu.Unlock()
		}
		return v
	})
}

func (s *matrixStack) next() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq
}

func (s *matrixStack) ofA(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.a = append(s.a, id)
	return id
}

func (s *matrixStack) aIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.a)
}

// make creates a fixture of project A (made by A's member) or of the
// admin's, and returns its id.
func (s *matrixStack) make(t *testing.T, name, role string) string {
	t.Helper()
	n := s.next()
	str := func(v map[string]any, keys ...string) string {
		for _, k := range keys[:len(keys)-1] {
			v, _ = v[k].(map[string]any)
		}
		id, _ := v[keys[len(keys)-1]].(string)
		if id == "" {
			t.Fatalf("fixture %s: no %v in %v", name, keys, v)
		}
		return id
	}
	ctx := context.Background()
	name, fresh := strings.CutSuffix(name, "!")
	if fresh {
		// A container or host image of its own: the shared ones wait
		// for their container to run, or pull the test image.
		switch name {
		case "container":
			return s.ofA(str(s.mustDo(t, "member", "POST", "/v1/containers",
				`{"image": "`+testImage+`", "command": ["sleep", "1000"], "memory": "16", "cpu": 0.1}`), "uuid"))
		case "zimage":
			return str(s.mustDo(t, "admin", "POST", "/v1/images", fmt.Sprintf(`{"repo": "zun/absent:%d", "host": "host-1"}`, n)), "uuid")
		case "capsule":
			return s.ofA(str(s.mustDo(t, "member", "POST", "/v1/capsules", matrixCapsule), "uuid"))
		}
	}
	switch name {
	case "name":
		return fmt.Sprintf("matrix-%d", n)
	case "cidr":
		return fmt.Sprintf("10.%d.%d.0/24", 100+n/250, n%250)
	case "portnum":
		return fmt.Sprint(1000 + n)
	case "token":
		return s.login(t, role, map[bool]string{true: s.projB, false: s.projA}[role == "other"])
	case "container":
		id := s.ofA(str(s.mustDo(t, "member", "POST", "/v1/containers?run=true",
			`{"image": "`+testImage+`", "command": ["sleep", "1000"], "memory": "16", "cpu": 0.1}`), "uuid"))
		s.waitFor(t, "/v1/containers/"+id, `"status":"Running"`)
		return id
	case "capsule":
		return s.ofA(str(s.mustDo(t, "member", "POST", "/v1/capsules", matrixCapsule), "uuid"))
	case "request":
		v := s.mustDo(t, "member", "GET", "/v1/containers/"+s.expand(t, "{container}", role)+"/container_actions", "")
		acts, _ := v["containerActions"].([]any)
		if len(acts) == 0 {
			t.Fatalf("fixture request: no actions in %v", v)
		}
		return acts[0].(map[string]any)["request_id"].(string)
	case "host":
		v := s.mustDo(t, "admin", "GET", "/v1/hosts", "")
		hs, _ := v["hosts"].([]any)
		if len(hs) != 1 {
			t.Fatalf("fixture host: %v", v)
		}
		return hs[0].(map[string]any)["uuid"].(string)
	case "zimage":
		id := str(s.mustDo(t, "admin", "POST", "/v1/images", `{"repo": "`+testImage+`", "host": "host-1"}`), "uuid")
		return id
	case "registry":
		return s.ofA(str(s.mustDo(t, "member", "POST", "/v1/registries",
			fmt.Sprintf(`{"registry": {"name": "reg-%d", "domain": "reg.example:5000", "username": "u", "password": "pw"}}`, n)), "registry", "uuid"))
	case "volume":
		return s.ofA(str(s.mustDo(t, "member", "POST", "/volume/v3/volumes", fmt.Sprintf(`{"volume": {"size": 1, "name": "vol-%d"}}`, n)), "volume", "id"))
	case "image", "image-tagged", "image-data":
		id := s.ofA(str(s.mustDo(t, "member", "POST", "/image/v2/images",
			fmt.Sprintf(`{"name": "img-%d", "container_format": "docker", "disk_format": "raw", "tags": ["t"]}`, n)), "id"))
		if name == "image-data" {
			if status, got := s.do(t, s.tokens["member"], "PUT", "/image/v2/images/"+id+"/file", "data",
				map[string]string{"Content-Type": "application/octet-stream"}); status != 204 {
				t.Fatalf("fixture image-data: upload %d %s", status, got)
			}
		}
		return id
	case "network", "network-tagged":
		return s.tagged(t, "networks", s.ofA(str(s.mustDo(t, "member", "POST", "/network/v2.0/networks",
			fmt.Sprintf(`{"network": {"name": "net-%d"}}`, n)), "network", "id")))
	case "subnet", "subnet-tagged":
		return s.tagged(t, "subnets", s.ofA(str(s.mustDo(t, "member", "POST", "/network/v2.0/subnets",
			fmt.Sprintf(`{"subnet": {"network_id": %q, "cidr": %q, "ip_version": 4}}`, s.expand(t, "{network}", role), s.make(t, "cidr", role))), "subnet", "id")))
	case "port", "port-tagged":
		return s.tagged(t, "ports", s.ofA(str(s.mustDo(t, "member", "POST", "/network/v2.0/ports",
			fmt.Sprintf(`{"port": {"network_id": %q}}`, s.expand(t, "{network}", role))), "port", "id")))
	case "secgroup", "secgroup-tagged":
		return s.tagged(t, "security-groups", s.ofA(str(s.mustDo(t, "member", "POST", "/network/v2.0/security-groups",
			fmt.Sprintf(`{"security_group": {"name": "sg-%d"}}`, n)), "security_group", "id")))
	case "rule":
		return s.ofA(str(s.mustDo(t, "member", "POST", "/network/v2.0/security-group-rules",
			fmt.Sprintf(`{"security_group_rule": {"security_group_id": %q, "direction": "ingress", "protocol": "tcp", "port_range_min": %d, "port_range_max": %d}}`,
				s.expand(t, "{secgroup}", role), 2000+n, 2000+n)), "security_group_rule", "id"))
	case "tmp-project":
		p, err := s.ids.CreateProject(ctx, identity.Project{Name: fmt.Sprintf("tmp-%d", n), DomainID: identity.DefaultDomainID, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	case "tmp-user", "granted-user":
		u, err := s.ids.CreateUser(ctx, identity.User{Name: fmt.Sprintf("tmp-%d", n), DomainID: identity.DefaultDomainID, Enabled: true}, "pw")
		if err != nil {
			t.Fatal(err)
		}
		if name == "granted-user" {
			for _, a := range []identity.Assignment{
				{UserID: u.ID, RoleID: s.roleIDs["reader"], ProjectID: s.expand(t, "{tmp-project}", role)},
				{UserID: u.ID, RoleID: s.roleIDs["reader"], DomainID: identity.DefaultDomainID},
			} {
				if err := s.ids.Grant(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
		}
		return u.ID
	case "tmp-role":
		r, err := s.ids.CreateRole(ctx, identity.Role{Name: fmt.Sprintf("tmp-%d", n)})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	t.Fatalf("no fixture %q", name)
	return ""
}

// tagged gives a network resource the tag "t" and returns its id.
func (s *matrixStack) tagged(t *testing.T, collection, id string) string {
	t.Helper()
	if status, got := s.do(t, s.tokens["member"], "PUT", "/network/v2.0/"+collection+"/"+id+"/tags/t", "", nil); status != 201 && status != 204 {
		t.Fatalf("fixture: tag %s %s: %d %s", collection, id, status, got)
	}
	return id
}

// waitFor polls path as A's member until its body holds want.
func (s *matrixStack) waitFor(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, got := s.do(t, s.tokens["member"], "GET", path, "", nil)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never held %s: %s", path, want, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
