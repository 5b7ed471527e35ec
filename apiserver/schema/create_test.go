package schema

import (
	"slices"
	"strings"
	"testing"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

func create(body string, minor int) (*CreateRequest, error) {
	return ContainerCreate([]byte(body), api.V(minor), DefaultLimits())
}

// mustCreate returns the container of a body that must be accepted.
func mustCreate(t *testing.T, body string, minor int) *CreateRequest {
	t.Helper()
	req, err := create(body, minor)
	if err != nil {
		t.Fatalf("ContainerCreate(%s) at 1.%d: %v", body, minor, err)
	}
	return req
}

// mustRefuse checks that a body is refused with ErrInvalid and a message
// holding every one of want.
func mustRefuse(t *testing.T, body string, minor int, want ...string) {
	t.Helper()
	_, err := create(body, minor)
	if err == nil {
		t.Fatalf("ContainerCreate(%s) at 1.%d: accepted, want an error", body, minor)
	}
	if !errdefs.IsInvalid(err) {
		t.Fatalf("ContainerCreate(%s) at 1.%d: error %v is not ErrInvalid", body, minor, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("ContainerCreate(%s) at 1.%d: error %q does not mention %q", body, minor, err, w)
		}
	}
}

func TestContainerCreateDefaults(t *testing.T) {
	t.Parallel()
	for _, minor := range []int{1, 19, 20, 36, 40} {
		req := mustCreate(t, `{"image": "busybox"}`, minor)
		c := req.Container
		if c.Image != "busybox" || c.CPU != 1.0 || c.Memory != 512 || c.Disk != 0 || c.ImageDriver != "docker" || c.Name != "" {
			t.Fatalf("1.%d: got image %q cpu %g memory %d disk %d driver %q name %q; want busybox 1 512 0 docker \"\"",
				minor, c.Image, c.CPU, c.Memory, c.Disk, c.ImageDriver, c.Name)
		}
		if len(req.Set) != 1 || !req.Set["image"] {
			t.Fatalf("1.%d: Set = %v, want only image", minor, req.Set)
		}
		if c.UUID != "" || c.Status != "" || c.Host != "" {
			t.Fatalf("1.%d: uuid %q status %q host %q set, want them left to the handler", minor, c.UUID, c.Status, c.Host)
		}
	}
}

func TestContainerCreateAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		minor int
		body  string
		check func(r *CreateRequest) (got, want any)
	}{
		{"name", 1, `{"image":"busybox","name":"web-1.a_b"}`, func(r *CreateRequest) (any, any) { return r.Container.Name, "web-1.a_b" }},
		{"null name is generated later", 1, `{"image":"busybox","name":null}`, func(r *CreateRequest) (any, any) { return r.Container.Name, "" }},
		{"cpu number", 1, `{"image":"busybox","cpu":0.5}`, func(r *CreateRequest) (any, any) { return r.Container.CPU, 0.5 }},
		{"cpu string", 1, `{"image":"busybox","cpu":"2"}`, func(r *CreateRequest) (any, any) { return r.Container.CPU, 2.0 }},
		{"cpu string fraction", 1, `{"image":"busybox","cpu":".5"}`, func(r *CreateRequest) (any, any) { return r.Container.CPU, 0.5 }},
		{"cpu at max", 1, `{"image":"busybox","cpu":16}`, func(r *CreateRequest) (any, any) { return r.Container.CPU, 16.0 }},
		{"cpu at min", 1, `{"image":"busybox","cpu":"0.1"}`, func(r *CreateRequest) (any, any) { return r.Container.CPU, 0.1 }},
		{"cpu null is the default", 1, `{"image":"busybox","cpu":null}`, func(r *CreateRequest) (any, any) { return r.Container.CPU, 1.0 }},
		{"memory int", 1, `{"image":"busybox","memory":1024}`, func(r *CreateRequest) (any, any) { return r.Container.Memory, int64(1024) }},
		{"memory string", 1, `{"image":"busybox","memory":"4"}`, func(r *CreateRequest) (any, any) { return r.Container.Memory, int64(4) }},
		{"memory null is the default", 1, `{"image":"busybox","memory":null}`, func(r *CreateRequest) (any, any) { return r.Container.Memory, int64(512) }},
		{"disk", 1, `{"image":"busybox","disk":"20"}`, func(r *CreateRequest) (any, any) { return r.Container.Disk, 20 }},
		{"cpu_policy", 28, `{"image":"busybox","cpu_policy":"dedicated"}`, func(r *CreateRequest) (any, any) { return r.Container.CPUPolicy, "dedicated" }},
		{"workdir", 1, `{"image":"busybox","workdir":"/srv"}`, func(r *CreateRequest) (any, any) { return r.Container.Workdir, "/srv" }},
		{"environment", 1, `{"image":"busybox","environment":{"A":"1","B":""}}`, func(r *CreateRequest) (any, any) {
			return r.Container.Environment["A"] + r.Container.Environment["B"], "1"
		}},
		{"labels coerced like Python str()", 1, `{"image":"busybox","labels":{"a":"x","n":3,"b":true}}`, func(r *CreateRequest) (any, any) {
			l := r.Container.Labels
			return l["a"] + "," + l["n"] + "," + l["b"], "x,3,True"
		}},
		{"empty labels", 1, `{"image":"busybox","labels":{}}`, func(r *CreateRequest) (any, any) { return r.Container.Labels == nil, true }},
		{"hints", 1, `{"image":"busybox","hints":{"label:x":"y"}}`, func(r *CreateRequest) (any, any) { return r.Container.Hints["label:x"], "y" }},
		{"restart on-failure", 1, `{"image":"busybox","restart_policy":{"Name":"on-failure","MaximumRetryCount":"3"}}`, func(r *CreateRequest) (any, any) {
			return r.Container.RestartPolicy, container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}
		}},
		{"restart no forces 0", 1, `{"image":"busybox","restart_policy":{"Name":"no","MaximumRetryCount":5}}`, func(r *CreateRequest) (any, any) {
			return r.Container.RestartPolicy, container.RestartPolicy{Name: "no"}
		}},
		{"restart always with 0", 1, `{"image":"busybox","restart_policy":{"Name":"always","MaximumRetryCount":"0"}}`, func(r *CreateRequest) (any, any) {
			return r.Container.RestartPolicy, container.RestartPolicy{Name: "always"}
		}},
		{"restart unless-stopped, null count", 1, `{"image":"busybox","restart_policy":{"Name":"unless-stopped","MaximumRetryCount":null}}`, func(r *CreateRequest) (any, any) {
			return r.Container.RestartPolicy, container.RestartPolicy{Name: "unless-stopped"}
		}},
		{"interactive string", 1, `{"image":"busybox","interactive":"True"}`, func(r *CreateRequest) (any, any) { return r.Container.Interactive, true }},
		{"interactive false", 1, `{"image":"busybox","interactive":"false"}`, func(r *CreateRequest) (any, any) { return r.Container.Interactive, false }},
		{"auto_heal", 1, `{"image":"busybox","auto_heal":"true"}`, func(r *CreateRequest) (any, any) { return r.Container.AutoHeal, true }},
		{"auto_heal false string is false", 1, `{"image":"busybox","auto_heal":"False"}`, func(r *CreateRequest) (any, any) { return r.Container.AutoHeal, false }},
		{"auto_remove", 3, `{"image":"busybox","auto_remove":true}`, func(r *CreateRequest) (any, any) { return r.Container.AutoRemove, true }},
		{"privileged", 21, `{"image":"busybox","privileged":true}`, func(r *CreateRequest) (any, any) { return r.Container.Privileged, true }},
		{"runtime", 5, `{"image":"busybox","runtime":"runsc"}`, func(r *CreateRequest) (any, any) { return r.Container.Runtime, "runsc" }},
		{"hostname", 9, `{"image":"busybox","hostname":"web_1.example"}`, func(r *CreateRequest) (any, any) { return r.Container.Hostname, "web_1.example" }},
		{"image_driver", 1, `{"image":"cirros","image_driver":"glance"}`, func(r *CreateRequest) (any, any) { return r.Container.ImageDriver, "glance" }},
		{"image_driver None", 1, `{"image":"busybox","image_driver":"None"}`, func(r *CreateRequest) (any, any) { return r.Container.ImageDriver, "docker" }},
		{"image_pull_policy kept as sent", 1, `{"image":"busybox","image_pull_policy":"IfNotPresent"}`, func(r *CreateRequest) (any, any) { return r.Container.ImagePullPolicy, "IfNotPresent" }},
		{"security groups de-duplicated", 1, `{"image":"busybox","security_groups":["b","a","b"]}`, func(r *CreateRequest) (any, any) {
			return strings.Join(r.Container.SecurityGroups, ","), "b,a"
		}},
		{"exposed ports", 24, `{"image":"busybox","exposed_ports":{"80":{},"53/udp":{},"80/tcp":{},"443/tcp":{}}}`, func(r *CreateRequest) (any, any) {
			return strings.Join(r.Container.ExposedPorts, ","), "53/udp,80/tcp,443/tcp"
		}},
		{"nets", 2, `{"image":"busybox","nets":[{"network":"private","v4-fixed-ip":"10.0.0.5"},{"port":"p1","v6-fixed-ip":"2001:db8::5"}]}`, func(r *CreateRequest) (any, any) {
			return slices.Equal(r.Container.Nets, []container.NetRequest{{Network: "private", V4FixedIP: "10.0.0.5"}, {Port: "p1", V6FixedIP: "2001:db8::5"}}), true
		}},
		{"nets empty at 1.1", 1, `{"image":"busybox","nets":[]}`, func(r *CreateRequest) (any, any) { return len(r.Container.Nets), 0 }},
		{"mount volume by name", 11, `{"image":"busybox","mounts":[{"source":"vol1","destination":"/data"}]}`, func(r *CreateRequest) (any, any) {
			return r.Container.Mounts[0], container.Mount{Type: "volume", Source: "vol1", Destination: "/data"}
		}},
		{"mount new volume", 11, `{"image":"busybox","mounts":[{"size":"2","destination":"/data"}]}`, func(r *CreateRequest) (any, any) {
			return r.Container.Mounts[0], container.Mount{Type: "volume", Size: "2", Destination: "/data"}
		}},
		{"mount bind file", 23, `{"image":"busybox","mounts":[{"type":"bind","source":"aGVsbG8K","destination":"/etc/motd"}]}`, func(r *CreateRequest) (any, any) {
			return r.Container.Mounts[0], container.Mount{Type: "bind", Source: "aGVsbG8K", Destination: "/etc/motd"}
		}},
		{"mount bind empty file", 23, `{"image":"busybox","mounts":[{"type":"bind","source":"","destination":"/x"}]}`, func(r *CreateRequest) (any, any) {
			return r.Container.Mounts[0].Type, "bind"
		}},
		{"healthcheck", 22, `{"image":"busybox","healthcheck":{"cmd":"true","interval":10,"retries":3,"timeout":5}}`, func(r *CreateRequest) (any, any) {
			return *r.Container.Healthcheck, container.Healthcheck{Test: "true", Interval: 10, Retries: 3, Timeout: 5}
		}},
		{"empty healthcheck at 1.1", 1, `{"image":"busybox","healthcheck":{}}`, func(r *CreateRequest) (any, any) { return r.Container.Healthcheck == nil, true }},
		{"availability zone", 1, `{"image":"busybox","availability_zone":"az1"}`, func(r *CreateRequest) (any, any) { return r.Container.AvailabilityZone, "az1" }},
		{"registry", 31, `{"image":"busybox","registry":"myreg"}`, func(r *CreateRequest) (any, any) { return r.Registry, "myreg" }},
		{"host", 39, `{"image":"busybox","host":"compute-1"}`, func(r *CreateRequest) (any, any) { return r.Container.RequestedHost, "compute-1" }},
		{"entrypoint", 40, `{"image":"busybox","entrypoint":["/bin/sh","-c"]}`, func(r *CreateRequest) (any, any) { return strings.Join(r.Container.Entrypoint, "|"), "/bin/sh|-c" }},
		{"duplicate keys: the last wins", 1, `{"image":"busybox","name":"one","name":"two"}`, func(r *CreateRequest) (any, any) { return r.Container.Name, "two" }},
		{"image kept as sent", 1, `{"image":"registry.example.com:5000/a/b:1.0"}`, func(r *CreateRequest) (any, any) { return r.Container.Image, "registry.example.com:5000/a/b:1.0" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, want := tt.check(mustCreate(t, tt.body, tt.minor))
			if got != want {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

func TestContainerCreateSet(t *testing.T) {
	t.Parallel()
	req := mustCreate(t, `{"image":"busybox","runtime":"","host":"h1","image_pull_policy":"always","privileged":false,"name":null,"nets":[]}`, 40)
	for field, want := range map[string]bool{
		"image": true, "runtime": true, "host": true, "image_pull_policy": true,
		"privileged": true, "nets": true, "name": false, "cpu": false,
	} {
		if got := req.Set[field]; got != want {
			t.Fatalf("Set[%q] = %v, want %v", field, got, want)
		}
	}
}

func TestContainerCreateCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		minor int
		body  string
		want  []string
	}{
		{"string split", 1, `{"image":"busybox","command":"sh -c 'echo hi; sleep 1'"}`, []string{"sh", "-c", "echo hi; sleep 1"}},
		{"python-zunclient quoting", 19, `{"image":"nginx","command":"\"nginx\" \"-g\" \"daemon off;\""}`, []string{"nginx", "-g", "daemon off;"}},
		{"empty string", 1, `{"image":"busybox","command":""}`, nil},
		{"null", 1, `{"image":"busybox","command":null}`, nil},
		{"array", 20, `{"image":"busybox","command":["sh","-c","echo hi"]}`, []string{"sh", "-c", "echo hi"}},
		{"array null", 40, `{"image":"busybox","command":null}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mustCreate(t, tt.body, tt.minor).Container.Command
			if !slices.Equal(got, tt.want) {
				t.Fatalf("command = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestContainerCreateTTY(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		minor int
		body  string
		want  bool
	}{
		{"1.1 tty is its own field", 1, `{"image":"busybox","interactive":true}`, false},
		{"1.1 tty set", 1, `{"image":"busybox","tty":"true"}`, true},
		{"1.20 tty follows interactive", 20, `{"image":"busybox","interactive":true}`, true},
		{"1.35 interactive overrides tty", 35, `{"image":"busybox","interactive":false,"tty":true}`, false},
		{"1.35 tty without interactive", 35, `{"image":"busybox","tty":true}`, true},
		{"1.36 interactive alone", 36, `{"image":"busybox","interactive":true}`, false},
		{"1.36 tty alone", 36, `{"image":"busybox","tty":"True"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mustCreate(t, tt.body, tt.minor).Container.TTY; got != tt.want {
				t.Fatalf("tty = %v, want %v", got, tt.want)
			}
		})
	}
}
