package capsule

import (
	"reflect"
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/quota"
)

func buildOpts() BuildOptions {
	return BuildOptions{ProjectID: "p1", UserID: "u1", Limits: schema.DefaultLimits(),
		Now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
}

func TestBuildWeb(t *testing.T) {
	t.Parallel()
	c, members := Build(mustParse(t, readTemplate(t, "web.yaml")), buildOpts())

	if c.Schema != container.SchemaVersion || c.UUID == "" || c.Name != "shop" || c.ProjectID != "p1" || c.UserID != "u1" ||
		!c.IsCapsule() || c.IsMember() || c.Capsule == nil ||
		c.Status != Creating || c.AvailabilityZone != "nova" || c.Capsule.Version != "beta" || !c.CreatedAt.Equal(buildOpts().Now) {
		t.Fatalf("capsule = %+v, want the capsule record of shop of p1/u1, Creating, in nova", c)
	}
	if want := (container.RestartPolicy{Name: "always"}); c.RestartPolicy != want {
		t.Fatalf("restart policy = %+v, want %+v", c.RestartPolicy, want)
	}
	if c.CPU != 1.5 || c.Memory != 1536 {
		t.Fatalf("capsule cpu %g memory %d, want 1.5 and 1536 (the sum of its containers)", c.CPU, c.Memory)
	}
	if want := map[string]string{"tier": "front", "replicas": "2"}; !reflect.DeepEqual(c.Labels, want) {
		t.Fatalf("labels = %v, want %v", c.Labels, want)
	}
	if want := []string{"53/udp", "80/tcp", "3306/tcp"}; !reflect.DeepEqual(c.ExposedPorts, want) {
		t.Fatalf("capsule exposed ports = %v, want the union of its members' %v", c.ExposedPorts, want)
	}
	k := c.Capsule
	if len(members) != 2 || len(k.Containers) != 2 || len(k.InitContainers) != 0 {
		t.Fatalf("%d members, %d containers, %d init containers; want 2, 2, 0", len(members), len(k.Containers), len(k.InitContainers))
	}
	for i, name := range []string{"web", "db"} {
		if k.Containers[i] != (container.Member{UUID: members[i].UUID, Name: name}) {
			t.Fatalf("member %d = %+v, want %s with uuid %s", i, k.Containers[i], name, members[i].UUID)
		}
		if m, ok := k.Member(name); !ok || m.UUID != members[i].UUID {
			t.Fatalf("Member(%q) = %+v, %v", name, m, ok)
		}
		if members[i].CapsuleID != c.UUID || !members[i].IsMember() {
			t.Fatalf("member %s has capsule id %q, want %s", name, members[i].CapsuleID, c.UUID)
		}
	}
	if len(k.Volumes) != 3 || !k.Volumes[0].New() || k.Volumes[0].VolumeID == "" || !k.Volumes[0].AutoRemove ||
		k.Volumes[1] != (container.CapsuleVolume{Name: "data", VolumeID: "473e4a6a-99f2-4b42-88ce-5ab03a00b756"}) {
		t.Fatalf("volumes = %+v, want a new auto-removed one with an id, then the existing ones", k.Volumes)
	}
	// The capsule's record holds one mount per volume, for the volume
	// participant: the new one by its size, the existing ones by id.
	wantCapsuleMounts := []container.Mount{
		{Type: container.MountVolume, VolumeID: k.Volumes[0].VolumeID, Size: "5", AutoRemove: true},
		{Type: container.MountVolume, Source: "473e4a6a-99f2-4b42-88ce-5ab03a00b756", VolumeID: "473e4a6a-99f2-4b42-88ce-5ab03a00b756"},
		{Type: container.MountVolume, Source: "f4246aa1-1c87-479c-a2ab-4dbaf0c3c7bb", VolumeID: "f4246aa1-1c87-479c-a2ab-4dbaf0c3c7bb"},
	}
	if !reflect.DeepEqual(c.Mounts, wantCapsuleMounts) {
		t.Fatalf("capsule mounts = %+v, want %+v", c.Mounts, wantCapsuleMounts)
	}

	web, db := members[0], members[1]
	want := &container.Container{
		Schema: container.SchemaVersion, UUID: web.UUID, CapsuleID: c.UUID, Name: "capsule-shop-web",
		ProjectID: "p1", UserID: "u1", Image: "nginx:1.27", ImageDriver: "docker",
		ImagePullPolicy: "ifnotpresent",
		Command:         []string{"nginx", "-g", "daemon off;"},
		CPU:             1, Memory: 1024,
		Environment:   map[string]string{"MODE": "prod"},
		Workdir:       "/srv",
		RestartPolicy: container.RestartPolicy{Name: "always"},
		ExposedPorts:  []string{"80/tcp"},
		Mounts: []container.Mount{{Type: container.MountVolume, Destination: "/srv/static",
			Size: "5", VolumeID: k.Volumes[0].VolumeID, AutoRemove: true}},
		AvailabilityZone: "nova",
		Status:           container.Creating, CreatedAt: buildOpts().Now,
	}
	if !reflect.DeepEqual(web, want) {
		t.Fatalf("web =\n%+v\nwant\n%+v", web, want)
	}
	if db.Name != "capsule-shop-db" || db.Command != nil || db.CPU != 0.5 || db.Memory != 512 ||
		!reflect.DeepEqual(db.ExposedPorts, []string{"53/udp", "3306/tcp"}) {
		t.Fatalf("db = %+v, want capsule-shop-db, no command, 0.5 cpu, 512 MiB, ports 53/udp and 3306/tcp", db)
	}
	wantMounts := []container.Mount{
		{Type: container.MountVolume, Destination: "/var/lib/mysql", Source: "473e4a6a-99f2-4b42-88ce-5ab03a00b756", VolumeID: "473e4a6a-99f2-4b42-88ce-5ab03a00b756"},
		{Type: container.MountVolume, Destination: "/etc/mysql/conf.d", Source: "f4246aa1-1c87-479c-a2ab-4dbaf0c3c7bb", VolumeID: "f4246aa1-1c87-479c-a2ab-4dbaf0c3c7bb"},
	}
	if !reflect.DeepEqual(db.Mounts, wantMounts) {
		t.Fatalf("db mounts = %+v, want %+v", db.Mounts, wantMounts)
	}
}

func TestBuildInitContainers(t *testing.T) {
	t.Parallel()
	c, members := Build(mustParse(t, readTemplate(t, "create-req.json")), buildOpts())
	k := c.Capsule
	if len(members) != 2 || len(k.InitContainers) != 1 || len(k.Containers) != 1 {
		t.Fatalf("%d members, %d init containers, %d containers; want 2, 1, 1", len(members), len(k.InitContainers), len(k.Containers))
	}
	init, nginx := members[0], members[1]
	if k.InitContainers[0] != (container.Member{UUID: init.UUID, Name: "init-container-0"}) || k.Containers[0] != (container.Member{UUID: nginx.UUID, Name: "container-0"}) {
		t.Fatalf("members %+v %+v, want the init container first", k.InitContainers, k.Containers)
	}
	if got := k.MemberUUIDs(); !reflect.DeepEqual(got, []string{init.UUID, nginx.UUID}) {
		t.Fatalf("MemberUUIDs = %v, want init container first", got)
	}
	// Zun's api-ref sample: the capsule asks for what nginx asks, more
	// than its init container.
	if c.CPU != 0.5 || c.Memory != 512 {
		t.Fatalf("capsule cpu %g memory %d, want 0.5 and 512", c.CPU, c.Memory)
	}
	if want := (container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 10}); init.RestartPolicy != want {
		t.Fatalf("init container restart policy = %+v, want %+v", init.RestartPolicy, want)
	}
	if want := (container.RestartPolicy{Name: "always"}); nginx.RestartPolicy != want {
		t.Fatalf("container restart policy = %+v, want %+v", nginx.RestartPolicy, want)
	}
	if init.Name != "capsule-demo-init-container-0" || nginx.Name != "capsule-demo-container-0" {
		t.Fatalf("names %q %q", init.Name, nginx.Name)
	}
	// The one volume is new and shared: both mounts name the same id.
	if len(init.Mounts) != 1 || len(nginx.Mounts) != 1 || init.Mounts[0].VolumeID == "" ||
		init.Mounts[0].VolumeID != nginx.Mounts[0].VolumeID || init.Mounts[0].VolumeID != k.Volumes[0].VolumeID {
		t.Fatalf("mounts %+v and %+v, want the capsule's volume %s in both", init.Mounts, nginx.Mounts, k.Volumes[0].VolumeID)
	}
	if init.Mounts[0].AutoRemove {
		t.Fatalf("mount %+v is auto-removed; the template did not ask for it", init.Mounts[0])
	}
}

func TestBuildUnnamedCapsule(t *testing.T) {
	t.Parallel()
	c, members := Build(mustParse(t, `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox","name":"sh"}]}}`), buildOpts())
	if want := "capsule-" + c.UUID + "-sh"; members[0].Name != want {
		t.Fatalf("name = %q, want %q", members[0].Name, want)
	}
}

func TestBuildRestartPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy    string
		container container.RestartPolicy
		init      container.RestartPolicy
	}{
		{"Always", container.RestartPolicy{Name: "always"}, container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 10}},
		{"OnFailure", container.RestartPolicy{Name: "on-failure"}, container.RestartPolicy{Name: "on-failure"}},
		{"Never", container.RestartPolicy{Name: "no"}, container.RestartPolicy{Name: "no"}},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			t.Parallel()
			s := mustParse(t, `{"kind":"capsule","metadata":{},"spec":{"restartPolicy":"`+tt.policy+`",
				"initContainers":[{"image":"busybox"}],"containers":[{"image":"busybox"}]}}`)
			c, members := Build(s, buildOpts())
			if c.RestartPolicy != tt.container || members[1].RestartPolicy != tt.container || members[0].RestartPolicy != tt.init {
				t.Fatalf("capsule %+v, container %+v, init container %+v; want %+v, %+v, %+v",
					c.RestartPolicy, members[1].RestartPolicy, members[0].RestartPolicy, tt.container, tt.container, tt.init)
			}
		})
	}
}

// TestBuildResources checks Zun's rule: the sum over the containers, then
// at least each init container's; a container without requests counts
// the defaults a plain container gets. quota.Of counts the capsule as one
// unit of that size.
func TestBuildResources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		containers string
		inits      string
		cpu        float64
		memory     int64
	}{
		{"one container", `{"image":"busybox","resources":{"requests":{"cpu":2,"memory":256}}}`, ``, 2, 256},
		{"sum", `{"image":"busybox","resources":{"requests":{"cpu":0.1,"memory":64}}},{"image":"busybox","resources":{"requests":{"cpu":0.2,"memory":"64"}}}`, ``, 0.3, 128},
		{"init container smaller", `{"image":"busybox","resources":{"requests":{"cpu":1,"memory":512}}}`, `{"image":"busybox","resources":{"requests":{"cpu":0.5,"memory":128}}}`, 1, 512},
		{"init container larger", `{"image":"busybox","resources":{"requests":{"cpu":0.5,"memory":128}}},{"image":"busybox","resources":{"requests":{"cpu":0.5,"memory":128}}}`,
			`{"image":"busybox","resources":{"requests":{"cpu":4,"memory":2048}}}`, 4, 2048},
		{"max per resource", `{"image":"busybox","resources":{"requests":{"cpu":2,"memory":128}}}`, `{"image":"busybox","resources":{"requests":{"cpu":1,"memory":1024}}}`, 2, 1024},
		{"largest of several init containers", `{"image":"busybox","resources":{"requests":{"cpu":0.5,"memory":64}}}`,
			`{"image":"busybox","resources":{"requests":{"cpu":3,"memory":64}}},{"image":"busybox","resources":{"requests":{"cpu":1,"memory":900}}}`, 3, 900},
		{"no requests: defaults", `{"image":"busybox"},{"image":"busybox","resources":{"requests":{"cpu":0.5}}}`, ``, 1.5, 1024},
		{"init container without requests", `{"image":"busybox","resources":{"requests":{"cpu":0.5,"memory":64}}}`, `{"image":"busybox"}`, 1, 512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tpl := `{"kind":"capsule","metadata":{},"spec":{"containers":[` + tt.containers + `]`
			if tt.inits != "" {
				tpl += `,"initContainers":[` + tt.inits + `]`
			}
			c, members := Build(mustParse(t, tpl+`}}`), buildOpts())
			if c.CPU != tt.cpu || c.Memory != tt.memory {
				t.Fatalf("capsule cpu %g memory %d, want %g and %d", c.CPU, c.Memory, tt.cpu, tt.memory)
			}
			// The capsule counts as one unit, on its record; its members
			// count nothing of their own.
			if u := quota.Of(c); u.CPU != tt.cpu || u.Memory != tt.memory || u.Containers != int64(len(members)) {
				t.Fatalf("quota counts the capsule as %+v, want cpu %g, memory %d, %d containers", u, tt.cpu, tt.memory, len(members))
			}
			for _, m := range members {
				if u := quota.Of(m); u != (quota.Usage{}) {
					t.Fatalf("member %s counts %+v of its own", m.Name, u)
				}
			}
		})
	}
}
