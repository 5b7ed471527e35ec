package schema

import (
	"testing"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/errdefs"
)

// FuzzContainerCreate checks that no body makes ContainerCreate panic,
// that every refusal is an ErrInvalid, and that what it accepts keeps
// within the limits.
func FuzzContainerCreate(f *testing.F) {
	for _, seed := range []string{
		`{"image":"busybox"}`,
		`{"image":"zun/busybox:local","name":"web","cpu":"0.5","memory":"64","command":"sh -c 'echo hi'"}`,
		`{"image":"busybox","command":["sh"],"entrypoint":["/bin/sh"],"host":"h","registry":"r1"}`,
		`{"image":"busybox","restart_policy":{"Name":"on-failure","MaximumRetryCount":"3"},"interactive":"true","tty":true}`,
		`{"image":"busybox","nets":[{"network":"n","v4-fixed-ip":"10.0.0.2"}],"mounts":[{"type":"bind","source":"aGk=","destination":"/x"}]}`,
		`{"image":"busybox","healthcheck":{"cmd":"true","interval":1},"exposed_ports":{"80/tcp":{}},"labels":{"a":1}}`,
		`{"image":"a@sha256:0000000000000000000000000000000000000000000000000000000000000000"}`,
		`{"image":1e999}`, `[]`, `null`, `{"image":"busybox"} x`, ``,
	} {
		f.Add([]byte(seed), uint8(39))
		f.Add([]byte(seed), uint8(0))
	}
	l := DefaultLimits()
	f.Fuzz(func(t *testing.T, body []byte, minor uint8) {
		v := api.V(1 + int(minor)%40)
		req, err := ContainerCreate(body, v, l)
		if err != nil {
			if !errdefs.IsInvalid(err) {
				t.Fatalf("ContainerCreate(%q) at %s: %v is not ErrInvalid", body, v, err)
			}
			return
		}
		c := req.Container
		if c.CPU < l.MinCPU || c.CPU > l.MaxCPU || c.Memory < l.MinMemory || c.Memory > l.MaxMemory {
			t.Fatalf("ContainerCreate(%q) at %s: cpu %g memory %d outside the limits", body, v, c.CPU, c.Memory)
		}
		if c.Disk != 0 && (c.Disk < l.MinDisk || c.Disk > l.MaxDisk) {
			t.Fatalf("ContainerCreate(%q) at %s: disk %d outside the limits", body, v, c.Disk)
		}
		if _, err := ImageRef(c.Image); err != nil {
			t.Fatalf("ContainerCreate(%q) at %s: accepted image %q: %v", body, v, c.Image, err)
		}
		if c.ImageDriver == "" || !req.Set["image"] {
			t.Fatalf("ContainerCreate(%q) at %s: driver %q, Set %v", body, v, c.ImageDriver, req.Set)
		}
	})
}
