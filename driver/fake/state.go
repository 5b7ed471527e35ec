package fake

import (
	"context"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Inspect returns the container's state.
func (d *Driver) Inspect(ctx context.Context, id string) (driver.State, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return driver.State{}, err
	}
	return c.snapshot(), nil
}

// List returns every container, complete (unlike the Docker driver's
// summaries). All are managed: Create refuses specs without the labels.
func (d *Driver) List(ctx context.Context) ([]driver.State, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]driver.State, 0, len(d.ctrs))
	for _, c := range d.ctrs {
		out = append(out, c.snapshot())
	}
	return out, nil
}

// Len is the number of containers, for scale tests.
func (d *Driver) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.ctrs)
}

// mib is a mebibyte.
const mib = 1 << 20

// Update changes the container's limits; a zero field is left unchanged.
func (d *Driver) Update(ctx context.Context, id string, r driver.Resources) error {
	if r.CPU < 0 || r.MemoryMiB < 0 {
		return errdefs.Invalidf("update container %q: invalid resources cpu %v, memory %d MiB", id, r.CPU, r.MemoryMiB)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return err
	}
	if r.CPU > 0 {
		c.spec.CPU = r.CPU
	}
	if r.MemoryMiB > 0 {
		c.spec.MemoryMiB = r.MemoryMiB
	}
	d.publish(c, "update")
	return nil
}

// Stats reports 1 MiB in use by a running container (0 by another) and
// its memory limit; CPU, disk and network use are zero.
func (d *Driver) Stats(ctx context.Context, id string) (driver.Stats, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return driver.Stats{}, err
	}
	var s driver.Stats
	if c.running() {
		s.MemUsageBytes = mib
		s.MemLimitBytes = d.opts.HostMemory
		if c.spec.MemoryMiB > 0 {
			s.MemLimitBytes = uint64(c.spec.MemoryMiB) * mib
		}
	}
	return s, nil
}

// Interface guards
var (
	_ driver.Updater = (*Driver)(nil)
	_ driver.Statter = (*Driver)(nil)
)
