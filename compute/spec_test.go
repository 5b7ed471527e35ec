package compute

import (
	"testing"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
)

func TestSpecLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		labels map[string]string
		disk   int
		pids   int64
	}{
		{"none asked for", nil, 0, 0},
		{"a pids limit of its own", map[string]string{driver.LabelPidsLimit: "64"}, 0, 64},
		{"spaces around it", map[string]string{driver.LabelPidsLimit: " 64 "}, 0, 64},
		{"not a number", map[string]string{driver.LabelPidsLimit: "lots"}, 0, -1},
		{"zero", map[string]string{driver.LabelPidsLimit: "0"}, 0, -1},
		{"negative", map[string]string{driver.LabelPidsLimit: "-5"}, 0, -1},
		{"disk", nil, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := specOf(&container.Container{UUID: "u1", Image: "busybox", Labels: tc.labels, Disk: tc.disk}, "host-1")
			if spec.PidsLimit != tc.pids || spec.DiskGiB != tc.disk {
				t.Fatalf("got pids limit %d, disk %d GiB; want %d, %d", spec.PidsLimit, spec.DiskGiB, tc.pids, tc.disk)
			}
		})
	}
}
