package compute_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/errdefs"
)

// Ops that set a container up before the op under test.
var (
	createOp = container.Op{Action: container.ActCreate, RequestID: "req-create"}
	runOp    = container.Op{Action: container.ActCreate, RequestID: "req-run", Run: true}
	stopOp   = container.Op{Action: container.ActStop, RequestID: "req-stop"}
	pauseOp  = container.Op{Action: container.ActPause, RequestID: "req-pause"}
)

// TestOps: every op reaches the runtime once, with its arguments, and is
// reported done with the status and task states Zun shows.
func TestOps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup []container.Op // carried out first, through the agent
		op    container.Op
		// the calls that change containers the op makes (Method or
		// Method:arg), in order
		calls []string
		// progress: the task states reported while the op runs
		progress []container.TaskState
		status   container.Status // after the op; "" for a delete
		exitCode int              // -1: none
		runtime  string           // the runtime container's status; "" for gone
	}{
		{name: "create", op: createOp, calls: []string{"Create"},
			progress: []container.TaskState{container.ImagePulling, container.TaskCreating},
			status:   container.Created, exitCode: -1, runtime: driver.StatusCreated},
		{name: "create and run", op: runOp, calls: []string{"Create", "Start"},
			// Running comes with the op's outcome: no Created, no
			// container_starting written on the way.
			progress: []container.TaskState{container.ImagePulling, container.TaskCreating},
			status:   container.Running, exitCode: -1, runtime: driver.StatusRunning},
		{name: "start", setup: []container.Op{createOp},
			op:    container.Op{Action: container.ActStart, RequestID: "req"},
			calls: []string{"Start"}, progress: []container.TaskState{container.TaskStarting},
			status: container.Running, exitCode: -1, runtime: driver.StatusRunning},
		{name: "start a stopped container", setup: []container.Op{runOp, stopOp},
			op:    container.Op{Action: container.ActStart, RequestID: "req"},
			calls: []string{"Start"}, progress: []container.TaskState{container.TaskStarting},
			status: container.Running, exitCode: -1, runtime: driver.StatusRunning},
		{name: "stop with a timeout", setup: []container.Op{runOp},
			op:    container.Op{Action: container.ActStop, RequestID: "req", Timeout: new(7)},
			calls: []string{"Stop:7s"}, progress: []container.TaskState{container.TaskStopping},
			status: container.Stopped, exitCode: 143, runtime: driver.StatusExited},
		{name: "stop at once", setup: []container.Op{runOp},
			op:    container.Op{Action: container.ActStop, RequestID: "req", Timeout: new(0)},
			calls: []string{"Stop:0s"}, progress: []container.TaskState{container.TaskStopping},
			status: container.Stopped, exitCode: 143, runtime: driver.StatusExited},
		{name: "stop with the default timeout", setup: []container.Op{runOp},
			op:    container.Op{Action: container.ActStop, RequestID: "req"},
			calls: []string{"Stop:3s"}, progress: []container.TaskState{container.TaskStopping},
			status: container.Stopped, exitCode: 143, runtime: driver.StatusExited},
		{name: "reboot", setup: []container.Op{runOp},
			op:    container.Op{Action: container.ActReboot, RequestID: "req", Timeout: new(5)},
			calls: []string{"Restart:5s"}, progress: []container.TaskState{container.TaskRebooting},
			status: container.Running, exitCode: -1, runtime: driver.StatusRunning},
		{name: "reboot a stopped container", setup: []container.Op{runOp, stopOp},
			op:    container.Op{Action: container.ActReboot, RequestID: "req"},
			calls: []string{"Restart:3s"}, progress: []container.TaskState{container.TaskRebooting},
			status: container.Running, exitCode: -1, runtime: driver.StatusRunning},
		{name: "kill with a signal", setup: []container.Op{runOp},
			op:    container.Op{Action: container.ActKill, RequestID: "req", Signal: "SIGINT"},
			calls: []string{"Kill:SIGINT"}, progress: []container.TaskState{container.TaskKilling},
			status: container.Stopped, exitCode: 130, runtime: driver.StatusExited},
		{name: "kill without a signal", setup: []container.Op{runOp},
			op:    container.Op{Action: container.ActKill, RequestID: "req"},
			calls: []string{"Kill:"}, progress: []container.TaskState{container.TaskKilling},
			status: container.Stopped, exitCode: 137, runtime: driver.StatusExited},
		{name: "pause", setup: []container.Op{runOp},
			op:    container.Op{Action: container.ActPause, RequestID: "req"},
			calls: []string{"Pause"}, progress: []container.TaskState{container.TaskPausing},
			status: container.Paused, exitCode: -1, runtime: driver.StatusPaused},
		{name: "unpause", setup: []container.Op{runOp, pauseOp},
			op:    container.Op{Action: container.ActUnpause, RequestID: "req"},
			calls: []string{"Unpause"}, progress: []container.TaskState{container.TaskUnpausing},
			status: container.Running, exitCode: -1, runtime: driver.StatusRunning},
		{name: "delete a created container", setup: []container.Op{createOp},
			op:    container.Op{Action: container.ActDelete, RequestID: "req"},
			calls: []string{"Remove:true"}, progress: []container.TaskState{container.TaskDeleting}},
		{name: "delete after stop", setup: []container.Op{runOp},
			op:    container.Op{Action: container.ActDelete, RequestID: "req", Stop: true, Timeout: new(4)},
			calls: []string{"Stop:4s", "Remove:true"}, progress: []container.TaskState{container.TaskDeleting}},
		{name: "delete with force", setup: []container.Op{runOp},
			op:    container.Op{Action: container.ActDelete, RequestID: "req", Force: true},
			calls: []string{"Remove:true"}, progress: []container.TaskState{container.TaskDeleting}},
		{name: "delete a container never created",
			op:    container.Op{Action: container.ActDelete, RequestID: "req", Force: true},
			calls: nil, progress: []container.TaskState{container.TaskDeleting}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.cfg.DefaultStopTimeout = 3 * time.Second
			r.start()
			uuid := r.add(nil)
			for _, op := range tc.setup {
				r.do(uuid, op)
				if c := r.cp.Get(uuid); c.Status == container.Error {
					t.Fatalf("setup op %s failed: %s", op.Action, c.StatusReason)
				}
			}
			before := r.cp.Get(uuid)
			mark := r.rt.mark()
			seq := r.do(uuid, tc.op)

			var calls []string
			for _, c := range r.rt.changes(mark) {
				s := c.Method
				if c.Arg != "" || c.Method == "Kill" {
					s += ":" + c.Arg
				}
				calls = append(calls, s)
			}
			if !slices.Equal(calls, tc.calls) {
				t.Errorf("runtime calls %q; want %q", calls, tc.calls)
			}
			var progress []container.TaskState
			done := 0
			for _, rep := range r.opReports(uuid, seq) {
				if rep.Done {
					done++
				} else if rep.Task != container.TaskNone {
					progress = append(progress, rep.Task)
				}
			}
			if !slices.Equal(progress, tc.progress) {
				t.Errorf("task states reported %q; want %q", progress, tc.progress)
			}
			event := container.EventName(tc.op.Action)
			wantEvents := []string{event + " start", event + " finish"}
			var events []string
			for _, e := range r.cp.Events(uuid) {
				if e.RequestID != tc.op.RequestID {
					continue
				}
				s := e.Name + " start"
				if e.Finished {
					s = e.Name + " finish" + e.Cause
				}
				events = append(events, s)
			}
			if !slices.Equal(events, wantEvents) {
				t.Errorf("action events %q; want %q", events, wantEvents)
			}

			c := r.cp.Get(uuid)
			if tc.op.Action == container.ActDelete {
				if c != nil {
					t.Fatalf("record still there after the delete: %+v", c)
				}
				if !slices.Contains(r.cp.Forgotten(), uuid) {
					t.Errorf("the delete did not forget the record")
				}
				if done != 0 {
					t.Errorf("a delete reported %d outcomes; want none (the record is forgotten)", done)
				}
				if before.RuntimeID != "" {
					if _, err := r.rt.Inspect(t.Context(), before.RuntimeID); !errdefs.IsNotFound(err) {
						t.Errorf("runtime container still there after the delete: %v", err)
					}
				}
				return
			}
			if done != 1 {
				t.Errorf("op reported done %d times; want once", done)
			}
			if c.Status != tc.status || c.StatusReason != "" || c.TaskState != container.TaskNone || c.Op != nil {
				t.Errorf("record: status %q (%q), task state %q, op %+v; want %q, no reason, no task state, no op",
					c.Status, c.StatusReason, c.TaskState, c.Op, tc.status)
			}
			switch {
			case tc.exitCode < 0 && c.ExitCode != nil:
				t.Errorf("exit code %d; want none", *c.ExitCode)
			case tc.exitCode >= 0 && (c.ExitCode == nil || *c.ExitCode != tc.exitCode):
				t.Errorf("exit code %v; want %d", c.ExitCode, tc.exitCode)
			}
			st, err := r.rt.Inspect(t.Context(), c.RuntimeID)
			if err != nil {
				t.Fatalf("inspect runtime container %q: %v", c.RuntimeID, err)
			}
			if st.Status != tc.runtime {
				t.Errorf("runtime container %s; want %s", st.Status, tc.runtime)
			}
			if st.Labels[driver.LabelUUID] != uuid {
				t.Errorf("runtime container labelled %q; want %q", st.Labels[driver.LabelUUID], uuid)
			}
			r.atRest(uuid)
		})
	}
}

// TestFailingOps: a failed create or start makes the container Error with
// the runtime's reason, as Zun's _fail_container does; a failed stop,
// reboot, pause, unpause or kill is kept in the action's event only, as
// Zun's wrap_exception does: the status and its reason stay as they were
// (an Error left by a failed start too). Either way the op is done (once)
// and its action event ends with the failure.
func TestFailingOps(t *testing.T) {
	t.Parallel()
	startError := map[string]string{fake.LabelStartError: "exec: \"nope\": executable file not found"}
	startOp := container.Op{Action: container.ActStart, RequestID: "req-start"}
	for _, tc := range []struct {
		name     string
		labels   map[string]string
		pullFail string // every pull of busybox fails with this
		setup    []container.Op
		op       container.Op
		status   container.Status
		failure  string // the action event's cause contains it
		// the status reason after the op contains it ("": none); an
		// event-only failure's reason is the one from before the op
		statusReason string
	}{
		{name: "create: the image cannot be pulled", pullFail: "registry is down",
			op: runOp, status: container.Error, failure: "registry is down", statusReason: "registry is down"},
		{name: "create and run: the start fails", labels: startError,
			op: runOp, status: container.Error, failure: "executable file not found", statusReason: "executable file not found"},
		{name: "start fails", labels: startError, setup: []container.Op{createOp},
			op: startOp, status: container.Error, failure: "executable file not found", statusReason: "executable file not found"},
		{name: "kill a stopped container", setup: []container.Op{runOp, stopOp},
			op: container.Op{Action: container.ActKill, RequestID: "req"}, status: container.Stopped, failure: "not running"},
		{name: "kill a container whose start failed", labels: startError, setup: []container.Op{createOp, startOp},
			op: container.Op{Action: container.ActKill, RequestID: "req"}, status: container.Error, failure: "not running",
			statusReason: "executable file not found"},
		{name: "pause a stopped container", setup: []container.Op{runOp, stopOp},
			op: container.Op{Action: container.ActPause, RequestID: "req"}, status: container.Stopped, failure: "not running"},
		{name: "pause a paused container", setup: []container.Op{runOp, pauseOp},
			op: container.Op{Action: container.ActPause, RequestID: "req"}, status: container.Paused, failure: "already paused"},
		{name: "unpause a running container", setup: []container.Op{runOp},
			op: container.Op{Action: container.ActUnpause, RequestID: "req"}, status: container.Running, failure: "not paused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t).start()
			if tc.pullFail != "" {
				r.rt.FailPull("busybox", errdefs.NotFoundf("%s", tc.pullFail))
			}
			uuid := r.add(tc.labels)
			for _, op := range tc.setup {
				r.do(uuid, op)
			}
			before := r.cp.Get(uuid).StatusReason
			seq := r.do(uuid, tc.op)
			c := r.cp.Get(uuid)
			if c.Op != nil || c.TaskState != container.TaskNone {
				t.Errorf("op %+v, task state %q after a failed op; want none", c.Op, c.TaskState)
			}
			var done []compute.Report
			for _, rep := range r.opReports(uuid, seq) {
				if rep.Done {
					done = append(done, rep)
				}
			}
			if len(done) != 1 || done[0].Status != tc.status {
				t.Fatalf("op reported done %+v; want once, with status %q", done, tc.status)
			}
			eventOnly := tc.op.Action != container.ActCreate && tc.op.Action != container.ActStart
			if eventOnly && done[0].Reason != before {
				t.Errorf("failed %s reported reason %q; want the one from before, %q", tc.op.Action, done[0].Reason, before)
			}
			if c.Status != tc.status || (tc.statusReason == "") != (c.StatusReason == "") ||
				!strings.Contains(c.StatusReason, tc.statusReason) {
				t.Errorf("status %q (%q); want %q with a reason containing %q", c.Status, c.StatusReason, tc.status, tc.statusReason)
			}
			var causes []string
			for _, e := range r.cp.Events(uuid) {
				if e.RequestID == tc.op.RequestID && e.Finished {
					causes = append(causes, e.Cause)
				}
			}
			if len(causes) != 1 || !strings.Contains(causes[0], tc.failure) {
				t.Errorf("finished events with causes %q; want one with %q", causes, tc.failure)
			}
			r.atRest(uuid)
			if c := r.cp.Get(uuid); c.Status != tc.status || !strings.Contains(c.StatusReason, tc.statusReason) {
				t.Errorf("status %q (%q) at rest; want %q (%q)", c.Status, c.StatusReason, tc.status, tc.statusReason)
			}
		})
	}
}
