package apiserver

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/capsule"
	"github.com/zun-go/zun/container"
)

// capsuleOfTest builds a capsule with one init container and one
// container, as the capsule create handler stores them.
func capsuleOfTest(t *testing.T) (*container.Container, map[string]*container.Container) {
	t.Helper()
	spec, err := capsule.Parse(`{"kind":"capsule","capsuleVersion":"beta",
		"metadata":{"name":"demo","labels":{"app":"web"},"annotations":{"key1":"value1"}},
		"spec":{"initContainers":[{"image":"busybox","name":"seed"}],
			"containers":[{"image":"nginx","name":"web","tty":true,"resources":{"requests":{"cpu":0.5,"memory":512}}}]}}`)
	if err != nil {
		t.Fatal(err)
	}
	c, list := capsule.Build(spec, capsule.BuildOptions{ProjectID: "p1", UserID: "u1", Limits: schema.DefaultLimits(),
		Now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)})
	c.Host = "host-1"
	members := map[string]*container.Container{}
	for _, m := range list {
		members[m.UUID] = m
	}
	return c, members
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestCapsuleViewKeys(t *testing.T) {
	t.Parallel()
	c, members := capsuleOfTest(t)
	common := []string{"addresses", "annotations", "containers", "cpu", "created_at", "init_containers", "links",
		"memory", "project_id", "restart_policy", "status", "status_reason", "updated_at", "user_id", "uuid"}
	tests := []struct {
		name     string
		minor    int
		showHost bool
		extra    []string
	}{
		{"new view", 32, true, []string{"host", "labels", "name"}},
		{"new view without host", 40, false, []string{"labels", "name"}},
		{"legacy view", 31, true, []string{"capsule_version", "containers_uuids", "host", "init_containers_uuids", "meta_labels", "meta_name", "volumes_info"}},
		{"legacy view at 1.1", 1, false, []string{"capsule_version", "containers_uuids", "init_containers_uuids", "meta_labels", "meta_name", "volumes_info"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			view := capsuleView(c, members, api.V(tt.minor), nil, tt.showHost, "http://zun", time.Now())
			want := append(append([]string{}, common...), tt.extra...)
			sort.Strings(want)
			if got := keysOf(view); !reflect.DeepEqual(got, want) {
				t.Fatalf("1.%d keys = %v, want %v", tt.minor, got, want)
			}
		})
	}
}

func TestCapsuleViewValues(t *testing.T) {
	t.Parallel()
	c, members := capsuleOfTest(t)
	seed, web := c.Capsule.InitContainers[0].UUID, c.Capsule.Containers[0].UUID
	render := func(minor int) map[string]any {
		b, err := json.Marshal(capsuleView(c, members, api.V(minor), map[string]bool{"host": true}, true, "http://zun", time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		minor int
		key   string
		want  any
	}{
		{40, "name", "demo"},
		{40, "labels", map[string]any{"app": "web"}},
		{40, "annotations", map[string]any{"key1": "value1"}},
		{40, "restart_policy", map[string]any{"Name": "always", "MaximumRetryCount": "0"}},
		// The init container asks for the defaults, 1 vCPU and 512 MiB,
		// more cpu than web.
		{40, "memory", "512"},
		{40, "cpu", 1.0},
		{40, "status", "Creating"},
		{40, "status_reason", nil},
		{40, "host", "host-1"},
		// Zun's format, which gophercloud reads.
		{40, "created_at", "2026-12-03 12:00:00+00:00"},
		{31, "created_at", "2026-12-03 12:00:00+00:00"},
		{40, "links", []any{
			map[string]any{"href": "http://zun/v1/capsules/" + c.UUID, "rel": "self"},
			map[string]any{"href": "http://zun/capsules/" + c.UUID, "rel": "bookmark"},
		}},
		{31, "meta_name", "demo"},
		{31, "meta_labels", map[string]any{"app": "web"}},
		{31, "restart_policy", "always"},
		{31, "volumes_info", map[string]any{}},
		{31, "containers_uuids", []any{web}},
		{31, "init_containers_uuids", []any{seed}},
		{31, "capsule_version", "beta"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s at 1.%d", tt.key, tt.minor), func(t *testing.T) {
			t.Parallel()
			if got := render(tt.minor)[tt.key]; !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("1.%d %s = %#v, want %#v", tt.minor, tt.key, got, tt.want)
			}
		})
	}
}

// TestCapsuleViewMembers checks that the members are container views in
// the template's order, init containers apart, without links, with the
// caller's hidden fields and the microversion's fields.
func TestCapsuleViewMembers(t *testing.T) {
	t.Parallel()
	c, members := capsuleOfTest(t)
	tests := []struct {
		name    string
		minor   int
		hidden  map[string]bool
		wantTTY bool // tty is a field of the container view from 1.36
	}{
		{"admin at 1.40", 40, nil, true},
		{"user at 1.40", 40, map[string]bool{"host": true, "image_pull_policy": true}, true},
		{"at 1.32", 32, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			view := capsuleView(c, members, api.V(tt.minor), tt.hidden, false, "http://zun", time.Now())
			inits := view["init_containers"].([]map[string]any)
			list := view["containers"].([]map[string]any)
			if len(inits) != 1 || inits[0]["uuid"] != c.Capsule.InitContainers[0].UUID || len(list) != 1 || list[0]["uuid"] != c.Capsule.Containers[0].UUID {
				t.Fatalf("init_containers %v containers %v, want seed then web", inits, list)
			}
			web := list[0]
			if _, ok := web["links"]; ok {
				t.Fatalf("member view has links: %v", web["links"])
			}
			if web["name"] != "capsule-demo-web" || web["image"] != "nginx" || web["memory"] != "512" || web["created_at"] != "2026-12-03 12:00:00+00:00" {
				t.Fatalf("member view = %v", web)
			}
			for f := range tt.hidden {
				if _, ok := web[f]; ok {
					t.Fatalf("hidden field %s shown", f)
				}
			}
			if tty, ok := web["tty"]; ok != tt.wantTTY || (ok && tty != true) {
				t.Fatalf("tty = %v (present %v), want present %v", tty, ok, tt.wantTTY)
			}
		})
	}
}

// TestCapsuleViewMemberGone checks that a member whose record is gone
// (being deleted) is left out.
func TestCapsuleViewMemberGone(t *testing.T) {
	t.Parallel()
	c, members := capsuleOfTest(t)
	delete(members, c.Capsule.Containers[0].UUID)
	view := capsuleView(c, members, api.V(40), nil, false, "", time.Now())
	if list := view["containers"].([]map[string]any); len(list) != 0 {
		t.Fatalf("containers = %v, want none", list)
	}
}
