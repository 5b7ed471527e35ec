package demoimage_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/zun-go/zun/driver/drivertest"
	"github.com/zun-go/zun/internal/demoimage"
)

// script exercises the applets the project's tests and demos use.
const script = `echo ok > /tmp/index.html && httpd -p 127.0.0.1:8080 -h /tmp &&
wget -q -O - http://127.0.0.1:8080/index.html && top -b -n 1 | grep -q PID &&
sleep 0.1 && id -un && echo $PATH`

// TestEnsure builds (or finds) the image twice and runs busybox's sh,
// httpd, wget, top and sleep in it.
func TestEnsure(t *testing.T) {
	host := drivertest.RequireDocker(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for range 2 {
		ref, err := demoimage.Ensure(ctx, host)
		if err != nil || ref != demoimage.Ref {
			t.Fatalf("Ensure: got %q, %v; want %q", ref, err, demoimage.Ref)
		}
	}

	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	created, err := cli.ContainerCreate(ctx, &container.Config{Image: demoimage.Ref, Cmd: []string{"sh", "-c", script}},
		nil, nil, nil, "")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() {
		cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true})
	})
	waitc, errc := cli.ContainerWait(ctx, created.ID, container.WaitConditionNextExit)
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatalf("start: %v", err)
	}
	var code int64
	select {
	case w := <-waitc:
		code = w.StatusCode
	case err := <-errc:
		t.Fatalf("wait: %v", err)
	}
	logs, err := cli.ContainerLogs(ctx, created.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	defer logs.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, logs); err != nil {
		t.Fatalf("logs: %v", err)
	}
	if want := "ok\nroot\n/bin\n"; code != 0 || out.String() != want {
		t.Fatalf("script in %s: got exit %d and %q, want 0 and %q", demoimage.Ref, code, out.String(), want)
	}
}
