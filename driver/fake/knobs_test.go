package fake_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/drivertest"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/errdefs"
)

// spec is a managed spec of image with script labels.
func spec(labels map[string]string) driver.Spec {
	all := map[string]string{driver.LabelManaged: "true", driver.LabelUUID: uuid.NewString()}
	for k, v := range labels {
		all[k] = v
	}
	return driver.Spec{Image: image, Labels: all}
}

// run creates and starts s on d.
func run(t *testing.T, d *fake.Driver, s driver.Spec) string {
	t.Helper()
	id, err := d.Create(t.Context(), s)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := d.Start(t.Context(), id); err != nil {
		t.Fatalf("start: %v", err)
	}
	return id
}

// waitStatus waits until container id has status.
func waitStatus(t *testing.T, d *fake.Driver, id, status string) driver.State {
	t.Helper()
	var st driver.State
	drivertest.WaitFor(t, "status "+status, func() error {
		var err error
		if st, err = d.Inspect(t.Context(), id); err != nil || st.Status == status {
			return err
		}
		return fmt.Errorf("status %s", st.Status)
	})
	return st
}

func TestStartError(t *testing.T) {
	t.Parallel()
	d := fake.New(fake.Options{Images: []string{image}})
	id, err := d.Create(t.Context(), spec(map[string]string{fake.LabelStartError: "exec: \"nope\": not found"}))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	err = d.Start(t.Context(), id)
	if !errdefs.IsInvalid(err) {
		t.Fatalf("start: got %v, want an invalid-argument error", err)
	}
	st, _ := d.Inspect(t.Context(), id)
	if st.Status != driver.StatusCreated || st.Error != "exec: \"nope\": not found" {
		t.Fatalf("after a failed start: got status %q error %q", st.Status, st.Error)
	}
}

func TestRestartPolicy(t *testing.T) {
	t.Parallel()
	d := fake.New(fake.Options{Images: []string{image}})
	s := spec(map[string]string{fake.LabelRunFor: "1ms", fake.LabelExitCode: "1"})
	s.RestartPolicy = driver.RestartPolicy{Name: "on-failure", MaxRetryCount: 2}
	id := run(t, d, s)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	events, _ := d.Events(ctx)
	starts := 0
	for starts < 2 {
		select {
		case ev := <-events:
			if ev.ID == id && ev.Action == "start" {
				starts++
			}
		case <-ctx.Done():
			t.Fatalf("got %d restarts, want 2", starts)
		}
	}
	st := waitStatus(t, d, id, driver.StatusExited)
	if st.ExitCode != 1 {
		t.Fatalf("exit code: got %d, want 1", st.ExitCode)
	}
}

func TestExitAndPause(t *testing.T) {
	t.Parallel()
	d := fake.New(fake.Options{Images: []string{image}})
	id := run(t, d, spec(nil))
	if err := d.Exit(id, 42); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if st := waitStatus(t, d, id, driver.StatusExited); st.ExitCode != 42 {
		t.Fatalf("exit code: got %d, want 42", st.ExitCode)
	}

	// A paused process cannot exit; it does at unpause.
	paused := run(t, d, spec(nil))
	if err := d.Pause(t.Context(), paused); err != nil {
		t.Fatalf("pause: %v", err)
	}
	if err := d.Exit(paused, 7); err != nil {
		t.Fatalf("exit while paused: %v", err)
	}
	if st, _ := d.Inspect(t.Context(), paused); st.Status != driver.StatusPaused {
		t.Fatalf("after exit while paused: got status %q, want paused", st.Status)
	}
	if err := d.Unpause(t.Context(), paused); err != nil {
		t.Fatalf("unpause: %v", err)
	}
	if st := waitStatus(t, d, paused, driver.StatusExited); st.ExitCode != 7 {
		t.Fatalf("exit code: got %d, want 7", st.ExitCode)
	}
}

func TestPull(t *testing.T) {
	t.Parallel()
	d := fake.New(fake.Options{})
	ctx := t.Context()
	if err := d.PrepareImage(ctx, "nginx", driver.PullNever); !errdefs.IsNotFound(err) {
		t.Fatalf("never, absent: got %v, want not found", err)
	}
	if err := d.PrepareImage(ctx, "nginx", driver.PullIfNotPresent); err != nil {
		t.Fatalf("if not present: %v", err)
	}
	if err := d.PrepareImage(ctx, "nginx:latest", driver.PullNever); err != nil {
		t.Fatalf("never, pulled as nginx: %v", err)
	}
	offline := errors.New("registry unreachable")
	d.FailPull("nginx", offline)
	if err := d.PrepareImage(ctx, "nginx", driver.PullAlways); !errors.Is(err, offline) {
		t.Fatalf("always, failing: got %v, want %v", err, offline)
	}
	if err := d.PrepareImage(ctx, "nginx", driver.PullIfNotPresent); err != nil {
		t.Fatalf("if not present, present: got %v, want no pull", err)
	}
	if err := d.PrepareImage(ctx, "Nginx", driver.PullAlways); !errdefs.IsInvalid(err) {
		t.Fatalf("capitals: got %v, want invalid", err)
	}
}

func TestEmitAndBreakEvents(t *testing.T) {
	t.Parallel()
	d := fake.New(fake.Options{})
	events, errs := d.Events(t.Context())
	d.Emit(driver.Event{ID: "x", UUID: "u", Action: "oom"})
	broken := errors.New("engine restarted")
	d.BreakEvents(broken)
	var got []driver.Event
	for ev := range events {
		got = append(got, ev)
	}
	if len(got) != 1 || got[0].ID != "x" || got[0].Action != "oom" || got[0].Time.IsZero() {
		t.Fatalf("events: got %+v, want the emitted oom", got)
	}
	if err := <-errs; !errors.Is(err, broken) {
		t.Fatalf("stream error: got %v, want %v", err, broken)
	}
}

func TestWriteLogAndExecHook(t *testing.T) {
	t.Parallel()
	d := fake.New(fake.Options{Images: []string{image}, Exec: func(st driver.State, cmd []string) driver.ExecResult {
		return driver.ExecResult{Output: "hooked " + st.Name, ExitCode: 9}
	}})
	s := spec(nil)
	s.Name = "logger"
	id := run(t, d, s)
	if err := d.WriteLog(id, "stderr", "a\nb"); err != nil {
		t.Fatalf("write log: %v", err)
	}
	rc, err := d.Logs(t.Context(), id, driver.LogOptions{Stderr: true})
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	b, _ := io.ReadAll(rc)
	if string(b) != "a\nb" {
		t.Fatalf("logs: got %q, want %q", b, "a\nb")
	}
	res, err := d.Exec(t.Context(), id, []string{"anything"})
	if err != nil || res.Output != "hooked logger" || res.ExitCode != 9 {
		t.Fatalf("exec through the hook: got %+v, %v", res, err)
	}
}

// BenchmarkCreateStart measures what a simulated container costs; run
// with -benchmem.
func BenchmarkCreateStart(b *testing.B) {
	d := fake.New(fake.Options{Images: []string{image}})
	ctx := context.Background()
	s := spec(map[string]string{fake.LabelRunFor: "1h"})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Name = "c" + uuid.NewString()
		id, err := d.Create(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Start(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}
