package compute

import (
	"strconv"
	"strings"
	"time"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
)

// specOf is the runtime spec of a record. Limits the user did not set
// are the runtime's (its operator's defaults).
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
		PidsLimit:   pidsLimitOf(rec.Labels),
		DiskGiB:     rec.Disk,
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

// pidsLimitOf is the process limit a container asks for with the label
// driver.LabelPidsLimit: 0 when it asks for none, -1 when the label is
// not a number, which the runtime refuses (ErrInvalid, naming the label).
func pidsLimitOf(labels map[string]string) int64 {
	v, ok := labels[driver.LabelPidsLimit]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 1 {
		return -1
	}
	return n
}
