package fake_test

import (
	"testing"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/drivertest"
	"github.com/zun-go/zun/driver/fake"
)

const image = "zun/busybox:local"

func TestConformance(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) driver.Driver {
		return fake.New(fake.Options{HostName: "fake-host", Images: []string{image}})
	}, image)
}

// TestConformanceNoDiskQuota runs the suite on a fake host that cannot
// cap root filesystems, as most Docker hosts (overlay2 on ext4).
func TestConformanceNoDiskQuota(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) driver.Driver {
		return fake.New(fake.Options{HostName: "fake-host", Images: []string{image}, NoDiskQuota: true})
	}, image)
}
