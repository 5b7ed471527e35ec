package drivertest

import (
	"testing"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// testDisk checks that a runtime creates a container with a disk size
// only where it says it can cap root filesystems (HostFacts.DiskQuota),
// and refuses it (ErrInvalid) elsewhere rather than ignore it.
func testDisk(t *testing.T, e *env) {
	spec := e.sleeper()
	spec.DiskGiB = 1
	id, err := e.d.Create(e.ctx, spec)
	if err == nil {
		e.t.Cleanup(func() { _ = e.d.Remove(e.ctx, id, true) })
	}
	desc, ok := e.d.(driver.Describer)
	if !ok {
		if err != nil {
			wantKind(t, "create with a disk size", err, errdefs.ErrInvalid)
		}
		return
	}
	facts, derr := desc.Describe(e.ctx)
	if derr != nil {
		t.Fatalf("describe: %v", derr)
	}
	switch {
	case facts.DiskQuota && err != nil:
		t.Fatalf("create with a disk size on a host with disk quotas: %v", err)
	case !facts.DiskQuota:
		wantKind(t, "create with a disk size on a host without disk quotas", err, errdefs.ErrInvalid)
	}
	e.create(e.sleeper()) // without a disk size: everywhere
}
