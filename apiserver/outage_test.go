package apiserver_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/errdefs"
)

// outage is a fake runtime that can stop answering, as a Docker Engine
// that is down: every call of the driver contract fails with
// ErrUnavailable while down is set.
type outage struct {
	*fake.Driver
	down atomic.Bool
}

func (o *outage) err() error {
	if o.down.Load() {
		return errdefs.Unavailablef("docker engine is unreachable: connection refused")
	}
	return nil
}

func (o *outage) PrepareImage(ctx context.Context, image string, policy driver.PullPolicy) error {
	if err := o.err(); err != nil {
		return err
	}
	return o.Driver.PrepareImage(ctx, image, policy)
}

func (o *outage) PrepareImageProgress(ctx context.Context, image string, policy driver.PullPolicy, auth driver.RegistryAuth, progress func(driver.Progress)) error {
	if err := o.err(); err != nil {
		return err
	}
	return o.Driver.PrepareImageProgress(ctx, image, policy, auth, progress)
}

func (o *outage) Create(ctx context.Context, spec driver.Spec) (string, error) {
	if err := o.err(); err != nil {
		return "", err
	}
	return o.Driver.Create(ctx, spec)
}

func (o *outage) Start(ctx context.Context, id string) error {
	if err := o.err(); err != nil {
		return err
	}
	return o.Driver.Start(ctx, id)
}

func (o *outage) Stop(ctx context.Context, id string, timeout time.Duration) error {
	if err := o.err(); err != nil {
		return err
	}
	return o.Driver.Stop(ctx, id, timeout)
}

func (o *outage) Remove(ctx context.Context, id string, force bool) error {
	if err := o.err(); err != nil {
		return err
	}
	return o.Driver.Remove(ctx, id, force)
}

func (o *outage) Inspect(ctx context.Context, id string) (driver.State, error) {
	if err := o.err(); err != nil {
		return driver.State{}, err
	}
	return o.Driver.Inspect(ctx, id)
}

func (o *outage) List(ctx context.Context) ([]driver.State, error) {
	if err := o.err(); err != nil {
		return nil, err
	}
	return o.Driver.List(ctx)
}

// TestEngineOutage: requests accepted while the engine is down are
// carried out when it is back, never dropped (a delete answered 204 once
// left its container Stopped forever, its quota used).
func TestEngineOutage(t *testing.T) {
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = true
	drv := &outage{Driver: fake.New(fake.Options{Images: []string{testImage}})}
	ts, _ := newStackOn(t, cfg, nil, drv)
	show := func(id string) (int, map[string]any) {
		status, raw := call(t, "GET", ts.URL+"/v1/containers/"+id, "", "")
		var v map[string]any
		_ = json.Unmarshal([]byte(raw), &v)
		return status, v
	}
	create := func(run string) string {
		status, raw := call(t, "POST", ts.URL+"/v1/containers?run="+run, "",
			`{"image": "`+testImage+`", "command": ["sleep", "3600"]}`)
		var v map[string]any
		if err := json.Unmarshal([]byte(raw), &v); status != 202 || err != nil {
			t.Fatalf("create: %d %s", status, raw)
		}
		return v["uuid"].(string)
	}
	settled := func(id, status string) func() bool {
		return func() bool {
			_, v := show(id)
			return v["status"] == status && v["task_state"] == nil
		}
	}
	doomed, stopped := create("true"), create("true")
	for _, id := range []string{doomed, stopped} {
		eventually(t, 10*time.Second, settled(id, "Running"), "container "+id+" running")
	}

	drv.down.Store(true)
	if status, raw := call(t, "DELETE", ts.URL+"/v1/containers/"+doomed+"?stop=true", "", ""); status != 204 {
		t.Fatalf("delete: %d %s", status, raw)
	}
	if status, raw := call(t, "POST", ts.URL+"/v1/containers/"+stopped+"/stop", "", ""); status != 202 {
		t.Fatalf("stop: %d %s", status, raw)
	}
	born := create("true")
	// Several syncs with the engine down: nothing is given up.
	time.Sleep(time.Second)
	for _, id := range []string{doomed, stopped, born} {
		status, v := show(id)
		if status != 200 || v["status"] == "Error" || v["task_state"] == nil {
			t.Fatalf("container %s during the outage: %d, status %v (%v), task %v; want its action pending",
				id, status, v["status"], v["status_reason"], v["task_state"])
		}
	}

	drv.down.Store(false)
	eventually(t, 10*time.Second, func() bool { status, _ := show(doomed); return status == 404 }, "the delete carried out")
	eventually(t, 10*time.Second, settled(stopped, "Stopped"), "the stop carried out")
	eventually(t, 10*time.Second, settled(born, "Running"), "the create carried out")
	list, err := drv.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d runtime containers, want 2 (the deleted one removed)", len(list))
	}
	_, raw := call(t, "GET", ts.URL+"/v1/containers/"+stopped+"/container_actions", "", "")
	var actions struct {
		ContainerActions []struct {
			Action    string `json:"action"`
			RequestID string `json:"request_id"`
			Message   any    `json:"message"`
		} `json:"containerActions"`
	}
	if err := json.Unmarshal([]byte(raw), &actions); err != nil {
		t.Fatal(err)
	}
	for _, a := range actions.ContainerActions {
		if a.Message != nil {
			t.Errorf("action %s: message %v, want none (success)", a.Action, a.Message)
		}
		if a.Action != "stop" {
			continue
		}
		_, raw := call(t, "GET", ts.URL+"/v1/containers/"+stopped+"/container_actions/"+a.RequestID, "", "")
		var one struct {
			Events []map[string]any `json:"events"`
		}
		if err := json.Unmarshal([]byte(raw), &one); err != nil || len(one.Events) != 1 || one.Events[0]["result"] != "Success" {
			t.Errorf("the stop's events: %s; want one, a success", raw)
		}
	}
}

// eventually polls cond until it holds, failing after timeout.
func eventually(t *testing.T, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
