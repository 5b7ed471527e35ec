package compute

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
)

func intp(n int) *int { return &n }

// TestReportApply: the rules every report is applied by, on the control
// plane and (through changed) in the agent.
func TestReportApply(t *testing.T) {
	t.Parallel()
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	finished := started.Add(time.Minute)
	stopOp := &container.Op{Seq: 4, Action: container.ActStop}
	for _, tc := range []struct {
		name string
		rec  container.Container
		r    Report
		want container.Container
	}{
		{name: "an observation sets status and reason",
			rec:  container.Container{Status: container.Running},
			r:    Report{Status: container.Stopped, Reason: "oom", ExitCode: intp(137), FinishedAt: finished},
			want: container.Container{Status: container.Stopped, StatusReason: "oom", ExitCode: intp(137), FinishedAt: finished}},
		{name: "running again: the last exit code goes",
			rec:  container.Container{Status: container.Stopped, ExitCode: intp(143), FinishedAt: finished},
			r:    Report{Status: container.Running, StartedAt: started, FinishedAt: finished},
			want: container.Container{Status: container.Running, StartedAt: started, FinishedAt: finished}},
		{name: "an observation while an op is pending records facts only",
			rec:  container.Container{Status: container.Running, Op: stopOp, TaskState: container.TaskStopping},
			r:    Report{Status: container.Stopped, ExitCode: intp(143), RuntimeID: "r1", Ports: []int{80}},
			want: container.Container{Status: container.Running, Op: stopOp, TaskState: container.TaskStopping, ExitCode: intp(143), RuntimeID: "r1", Ports: []int{80}}},
		{name: "progress of the pending op sets its task state",
			rec:  container.Container{Status: container.Running, Op: stopOp},
			r:    Report{Seq: 4, Task: container.TaskStopping},
			want: container.Container{Status: container.Running, Op: stopOp, TaskState: container.TaskStopping}},
		{name: "done clears the op and the task state",
			rec:  container.Container{Status: container.Running, Op: stopOp, TaskState: container.TaskStopping},
			r:    Report{Seq: 4, Done: true, Status: container.Stopped, ExitCode: intp(143)},
			want: container.Container{Status: container.Stopped, ExitCode: intp(143)}},
		{name: "the outcome of a superseded op records facts only",
			rec:  container.Container{Status: container.Running, Op: &container.Op{Seq: 5, Action: container.ActPause}, TaskState: container.TaskPausing},
			r:    Report{Seq: 4, Done: true, Status: container.Stopped, Reason: "x"},
			want: container.Container{Status: container.Running, Op: &container.Op{Seq: 5, Action: container.ActPause}, TaskState: container.TaskPausing}},
		{name: "an outcome after the op is gone records facts only",
			rec:  container.Container{Status: container.Running},
			r:    Report{Seq: 4, Done: true, Status: container.Stopped, RuntimeID: "r2"},
			want: container.Container{Status: container.Running, RuntimeID: "r2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rec.Clone()
			tc.r.Apply(got)
			if !got.SameAs(&tc.want) {
				t.Errorf("got %s\nwant %s", brief(got), brief(&tc.want))
			}
		})
	}
}

// TestChanged: an observation of what the record already shows is no
// change, so the agent does not report it; anything new is.
func TestChanged(t *testing.T) {
	t.Parallel()
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	finished := started.Add(time.Minute)
	running := driver.State{ID: "r1", Status: driver.StatusRunning, StartedAt: started, FinishedAt: finished, Ports: []int{80}}
	stopped := driver.State{ID: "r1", Status: driver.StatusExited, ExitCode: 143, StartedAt: started, FinishedAt: finished}
	for _, tc := range []struct {
		name string
		rec  container.Container
		st   driver.State
		want bool
	}{
		{name: "running, as recorded", want: false, st: running,
			rec: container.Container{Status: container.Running, RuntimeID: "r1", StartedAt: started, FinishedAt: finished, Ports: []int{80}}},
		{name: "running again after a stop (the old exit code goes, once)", want: true, st: running,
			rec: container.Container{Status: container.Stopped, RuntimeID: "r1", ExitCode: intp(143), StartedAt: started, FinishedAt: finished, Ports: []int{80}}},
		{name: "running again, the exit code gone", want: false, st: running,
			rec: container.Container{Status: container.Running, RuntimeID: "r1", StartedAt: started, FinishedAt: finished, Ports: []int{80}}},
		{name: "stopped, as recorded", want: false, st: stopped,
			rec: container.Container{Status: container.Stopped, RuntimeID: "r1", ExitCode: intp(143), StartedAt: started, FinishedAt: finished}},
		{name: "stopped, exit code not recorded yet", want: true, st: stopped,
			rec: container.Container{Status: container.Stopped, RuntimeID: "r1", StartedAt: started, FinishedAt: finished}},
		{name: "started anew", want: true, st: running,
			rec: container.Container{Status: container.Running, RuntimeID: "r1", StartedAt: started.Add(-time.Hour), FinishedAt: finished, Ports: []int{80}}},
		{name: "another runtime container", want: true, st: running,
			rec: container.Container{Status: container.Running, RuntimeID: "r0", StartedAt: started, FinishedAt: finished, Ports: []int{80}}},
		{name: "ports of the runtime not recorded", want: true, st: running,
			rec: container.Container{Status: container.Running, RuntimeID: "r1", StartedAt: started, FinishedAt: finished}},
		{name: "an op pending: the status is not the observation's", want: false, st: stopped,
			rec: container.Container{Status: container.Running, Op: &container.Op{Seq: 1, Action: container.ActStop}, RuntimeID: "r1", ExitCode: intp(143), StartedAt: started, FinishedAt: finished}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := tc.rec.Clone()
			if got := changed(rec, observation(rec, tc.st)); got != tc.want {
				t.Errorf("changed = %v; want %v", got, tc.want)
			}
		})
	}
}

// brief shows the fields a report sets.
func brief(c *container.Container) string {
	exit := "none"
	if c.ExitCode != nil {
		exit = strconv.Itoa(*c.ExitCode)
	}
	return fmt.Sprintf("status %q (%q) task %q op %+v runtime %q exit %s started %s finished %s ports %v",
		c.Status, c.StatusReason, c.TaskState, c.Op, c.RuntimeID, exit,
		c.StartedAt.Format(time.TimeOnly), c.FinishedAt.Format(time.TimeOnly), c.Ports)
}
