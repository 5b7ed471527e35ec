package capsule

import (
	"testing"

	"github.com/zun-go/zun/container"
)

// TestStatus checks the rule that gives a capsule its status from its
// record and its members'.
func TestStatus(t *testing.T) {
	t.Parallel()
	exit := func(code int) *int { return &code }
	type member struct {
		status container.Status
		reason string
		exit   *int
	}
	tests := []struct {
		name       string
		rec        container.Status
		recReason  string
		init       member
		web, db    member
		wantStatus container.Status
		wantReason string
	}{
		{"just created", Creating, "", member{status: Creating}, member{status: Creating}, member{status: Creating}, Creating, ""},
		{"sandbox made, members not yet", Created, "", member{status: Creating}, member{status: Creating}, member{status: Creating}, Creating, ""},
		{"init container running", Running, "", member{status: Running}, member{status: Created}, member{status: Created}, Created, ""},
		{"all running", Running, "", member{status: Stopped, exit: exit(0)}, member{status: Running}, member{status: Running}, Running, ""},
		{"one of two running", Running, "", member{status: Stopped, exit: exit(0)}, member{status: Running}, member{status: Stopped, exit: exit(0)}, Created, ""},
		{"all stopped", Stopped, "", member{status: Stopped, exit: exit(0)}, member{status: Stopped, exit: exit(1)}, member{status: Stopped, exit: exit(0)}, Stopped, ""},
		{"all paused", Running, "", member{status: Stopped, exit: exit(0)}, member{status: Paused}, member{status: Paused}, Paused, ""},
		{"placement failed", Error, "There are not enough hosts available.", member{status: Creating}, member{status: Creating}, member{status: Creating},
			Error, "There are not enough hosts available."},
		{"host down", Unknown, "compute host h1 is not responding", member{status: Unknown}, member{status: Unknown}, member{status: Unknown},
			Unknown, "compute host h1 is not responding"},
		{"deleting wins over a member's error", Deleting, "", member{status: Stopped, exit: exit(0)}, member{status: Error, reason: "boom"}, member{status: Running}, Deleting, ""},
		{"a member failed", Running, "", member{status: Stopped, exit: exit(0)}, member{status: Running}, member{status: Error, reason: "image not found"},
			Error, "container db: image not found"},
		{"a member failed without a reason", Running, "", member{status: Stopped, exit: exit(0)}, member{status: Error}, member{status: Running},
			Error, "container web failed"},
		{"init container failed", Running, "", member{status: Stopped, exit: exit(3)}, member{status: Created}, member{status: Created},
			Error, "init container seed exited with code 3"},
		{"init container in error", Running, "", member{status: Error, reason: "no such command"}, member{status: Created}, member{status: Created},
			Error, "init container seed: no such command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, list := Build(mustParse(t, `{"kind":"capsule","metadata":{"name":"shop"},"spec":{
				"initContainers":[{"image":"busybox","name":"seed"}],
				"containers":[{"image":"busybox","name":"web"},{"image":"busybox","name":"db"}]}}`), buildOpts())
			rec.Status, rec.StatusReason = tt.rec, tt.recReason
			members := map[string]*container.Container{}
			for i, m := range []member{tt.init, tt.web, tt.db} {
				list[i].Status, list[i].StatusReason, list[i].ExitCode = m.status, m.reason, m.exit
				members[list[i].UUID] = list[i]
			}
			if st, reason := Status(rec, members); st != tt.wantStatus || reason != tt.wantReason {
				t.Fatalf("Status = %s %q, want %s %q", st, reason, tt.wantStatus, tt.wantReason)
			}
		})
	}
	t.Run("a member gone is left out", func(t *testing.T) {
		t.Parallel()
		rec, list := Build(mustParse(t, `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"},{"image":"busybox"}]}}`), buildOpts())
		rec.Status = Running
		list[0].Status = Running
		if st, _ := Status(rec, map[string]*container.Container{list[0].UUID: list[0]}); st != Running {
			t.Fatalf("Status = %s, want Running from the member left", st)
		}
	})
}
