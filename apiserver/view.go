package apiserver

import (
	"strconv"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/container"
)

// fieldSince is the microversion that introduced each container field to
// the view; fields not listed exist since 1.1.
var fieldSince = map[string]api.Version{
	"auto_remove": api.V(3),
	"runtime":     api.V(5),
	"hostname":    api.V(9),
	"privileged":  api.V(21),
	"healthcheck": api.V(22),
	"cpu_policy":  api.V(28),
	"registry_id": api.V(31),
	"tty":         api.V(36),
	"entrypoint":  api.V(40),
}

// adminFields are shown only to admins (Zun's container:get_one:<field>).
var adminFields = map[string]bool{
	"host": true, "image_pull_policy": true, "privileged": true, "runtime": true,
}

// timeFormat is how Zun renders timestamps.
const timeFormat = "2006-01-02T15:04:05-07:00"

func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeFormat)
}

// orNull renders "" as JSON null, as Zun does for unset strings.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// containerView renders c for the caller at version v. base is the URL
// prefix for links; "" leaves them out.
func containerView(c *container.Container, v api.Version, hidden map[string]bool, base string, now time.Time) map[string]any {
	var ports any
	if len(c.Ports) > 0 {
		ports = c.Ports
	}
	var addresses any
	if len(c.Addresses) > 0 {
		addresses = c.Addresses
	}
	var hc any
	if c.Healthcheck != nil {
		hc = c.Healthcheck
	}
	restart := c.RestartPolicy
	if restart.Name == "" {
		restart.Name = "no"
	}
	memory := any(nil)
	if c.Memory > 0 {
		memory = strconv.FormatInt(c.Memory, 10)
	}
	fields := map[string]any{
		"uuid":              c.UUID,
		"user_id":           c.UserID,
		"project_id":        c.ProjectID,
		"name":              c.Name,
		"image":             c.Image,
		"command":           nonNilList(c.Command),
		"status":            string(c.Status),
		"status_reason":     orNull(c.StatusReason),
		"status_detail":     orNull(c.StatusDetail(now)),
		"task_state":        orNull(string(c.TaskState)),
		"cpu":               c.CPU,
		"cpu_policy":        c.CPUPolicy,
		"memory":            memory,
		"disk":              c.Disk,
		"environment":       nonNilMap(c.Environment),
		"workdir":           orNull(c.Workdir),
		"ports":             ports,
		"hostname":          orNull(c.Hostname),
		"labels":            nonNilMap(c.Labels),
		"addresses":         addresses,
		"image_pull_policy": orNull(c.ImagePullPolicy),
		"host":              orNull(c.Host),
		"restart_policy": map[string]string{
			"Name":              restart.Name,
			"MaximumRetryCount": strconv.Itoa(restart.MaximumRetryCount),
		},
		"interactive":     c.Interactive,
		"tty":             c.TTY,
		"image_driver":    orNull(c.ImageDriver),
		"security_groups": nonNilList(c.SecurityGroups),
		"auto_remove":     c.AutoRemove,
		"auto_heal":       c.AutoHeal,
		"runtime":         orNull(c.Runtime),
		"privileged":      c.Privileged,
		"healthcheck":     hc,
		"registry_id":     orNull(c.RegistryID),
		"entrypoint":      nonNilList(c.Entrypoint),
		"created_at":      formatTime(c.CreatedAt),
		"updated_at":      formatTime(c.UpdatedAt),
	}
	for k, since := range fieldSince {
		if v.Less(since) {
			delete(fields, k)
		}
	}
	for k := range hidden {
		delete(fields, k)
	}
	if base != "" {
		fields["links"] = []api.Link{
			{Href: base + "/v1/containers/" + c.UUID, Rel: "self"},
			{Href: base + "/containers/" + c.UUID, Rel: "bookmark"},
		}
	}
	return fields
}

func nonNilList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
