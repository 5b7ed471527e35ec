package compute

import (
	"strings"
	"time"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
)

// specOf is the runtime spec of a record.
func specOf(rec *container.Container, host string) driver.Spec {
	labels := make(map[string]string, len(rec.Labels)+3)
	for k, v := range rec.Labels {
		labels[k] = v
	}
	labels[driver.LabelManaged] = "true"
	labels[driver.LabelUUID] = rec.UUID
	labels[driver.LabelHost] = host
	spec := driver.Spec{
		Name:        "zun-" + rec.UUID,
		Image:       rec.Image,
		Command:     rec.Command,
		Entrypoint:  rec.Entrypoint,
		Env:         rec.Environment,
		Labels:      labels,
		Workdir:     rec.Workdir,
		Hostname:    rec.Hostname,
		CPU:         rec.CPU,
		MemoryMiB:   rec.Memory,
		Interactive: rec.Interactive,
		TTY:         rec.TTY,
		RestartPolicy: driver.RestartPolicy{
			Name:          rec.RestartPolicy.Name,
			MaxRetryCount: rec.RestartPolicy.MaximumRetryCount,
		},
		AutoRemove: rec.AutoRemove,
		Privileged: rec.Privileged,
		Runtime:    rec.Runtime,
	}
	if hc := rec.Healthcheck; hc != nil && hc.Test != "" {
		spec.Healthcheck = &driver.Healthcheck{
			Test:     []string{"CMD-SHELL", hc.Test},
			Interval: time.Duration(hc.Interval) * time.Second,
			Timeout:  time.Duration(hc.Timeout) * time.Second,
			Retries:  hc.Retries,
		}
	}
	if spec.RestartPolicy.Name == "" || strings.EqualFold(spec.RestartPolicy.Name, "no") {
		spec.RestartPolicy = driver.RestartPolicy{Name: "no"}
	}
	return spec
}
