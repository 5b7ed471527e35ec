package compute

import (
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
)

// statusFromRuntime maps what the runtime says to Zun's status, as Zun's
// docker driver does.
func statusFromRuntime(st driver.State) container.Status {
	switch st.Status {
	case driver.StatusRunning:
		return container.Running
	case driver.StatusPaused:
		return container.Paused
	case driver.StatusRestarting:
		return container.Restarting
	case driver.StatusDead:
		return container.Dead
	case driver.StatusExited, driver.StatusRemoving:
		return container.Stopped
	case driver.StatusCreated:
		return container.Created
	}
	return container.Unknown
}

// observation is the report of what the runtime shows for rec.
func observation(rec *container.Container, st driver.State) Report {
	r := Report{
		UUID:       rec.UUID,
		Status:     statusFromRuntime(st),
		RuntimeID:  st.ID,
		StartedAt:  st.StartedAt,
		FinishedAt: st.FinishedAt,
		Ports:      st.Ports,
	}
	if r.Status == container.Stopped || r.Status == container.Dead {
		code := st.ExitCode
		r.ExitCode = &code
	}
	if st.Error != "" {
		r.Reason = st.Error
	}
	return r
}

// changed reports whether r says something rec does not show yet.
func changed(rec *container.Container, r Report) bool {
	c := rec.Clone()
	r.Apply(c)
	return !c.SameAs(rec)
}
