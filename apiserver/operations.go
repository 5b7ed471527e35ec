package apiserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/images"
)

// hostOf finds a container's host for a direct call after checking that
// action is allowed in its state.
func (s *Server) hostOf(c *call, action string) (*container.Container, HostAPI, error) {
	ct, err := s.findContainer(c, "container:"+action, "")
	if err != nil {
		return nil, nil, err
	}
	if err := container.CheckState(ct, action); err != nil {
		return nil, nil, err
	}
	if ct.Host == "" || ct.RuntimeID == "" {
		return nil, nil, errdefs.Conflictf("Cannot %s container %s: it has no runtime container yet.", action, ct.UUID)
	}
	h, err := s.Hosts.Host(ct.Host)
	if err != nil {
		return nil, nil, fmt.Errorf("host %s of container %s: %w", ct.Host, ct.UUID, err)
	}
	return ct, h, nil
}

// containerLogs serves GET .../logs. Zun answers a JSON string; with the
// project's extension follow=true it streams text/plain until the
// container stops or the client goes away.
func (s *Server) containerLogs(c *call) (any, error) {
	q := c.r.URL.Query()
	opts := driver.LogOptions{Stdout: true, Stderr: true}
	var err error
	for name, dst := range map[string]*bool{"stdout": &opts.Stdout, "stderr": &opts.Stderr,
		"timestamps": &opts.Timestamps, "follow": &opts.Follow} {
		if q.Has(name) {
			if *dst, err = schema.Bool(name, q.Get(name)); err != nil {
				return nil, err
			}
		}
	}
	if q.Has("tail") {
		if opts.Tail, err = schema.Tail(q.Get("tail")); err != nil {
			return nil, err
		}
	}
	if q.Has("since") {
		if opts.Since, err = schema.Since(q.Get("since")); err != nil {
			return nil, err
		}
	}
	ct, h, err := s.hostOf(c, container.ActLogs)
	if err != nil {
		return nil, err
	}
	rc, err := h.Logs(c.ctx, ct.RuntimeID, opts)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if !opts.Follow {
		b, err := io.ReadAll(rc)
		if err != nil {
			return nil, fmt.Errorf("read logs of container %s: %w", ct.UUID, err)
		}
		return string(b), nil
	}
	c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	c.w.WriteHeader(http.StatusOK)
	flusher, _ := c.w.(http.Flusher)
	br := bufio.NewReader(rc)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if _, werr := c.w.Write(line); werr != nil {
				return streamed, nil
			}
			if flusher != nil && br.Buffered() == 0 {
				flusher.Flush()
			}
		}
		if err != nil {
			return streamed, nil
		}
	}
}

// execContainer serves POST .../execute?command=...&run=true. Only
// non-interactive commands are supported: the answer carries the output
// and exit code.
func (s *Server) execContainer(c *call) (any, error) {
	q := c.r.URL.Query()
	cmd, err := schema.ExecCommand(q.Get("command"))
	if err != nil {
		return nil, err
	}
	run, err := queryBool(c, "run", true)
	if err != nil {
		return nil, err
	}
	interactive, err := queryBool(c, "interactive", false)
	if err != nil {
		return nil, err
	}
	if !run || interactive {
		return nil, errdefs.NotSupportedf("Interactive exec is not supported yet: use run=true without interactive.")
	}
	ct, h, err := s.hostOf(c, container.ActExecute)
	if err != nil {
		return nil, err
	}
	// The host ends the command when ctx ends (driver.Execer); the answer
	// does not wait for the container's other work, nor it for the exec.
	ctx, cancel := context.WithTimeout(c.ctx, s.cfg.ExecTimeout)
	defer cancel()
	res, err := h.Exec(ctx, ct.RuntimeID, cmd)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		c.log.Info("exec timed out", "timeout", s.cfg.ExecTimeout, "error", err)
		return nil, errdefs.Conflictf("Timeout on executing command: %s (after %s).", strings.Join(cmd, " "), s.cfg.ExecTimeout)
	}
	if err != nil {
		return nil, err
	}
	code := res.ExitCode
	return map[string]any{"output": res.Output, "exit_code": code, "exec_id": nil, "proxy_url": nil}, nil
}

// containerStats serves GET .../stats with Zun's keys.
func (s *Server) containerStats(c *call) (any, error) {
	ct, h, err := s.hostOf(c, container.ActStats)
	if err != nil {
		return nil, err
	}
	st, err := h.Stats(c.ctx, ct.RuntimeID)
	if err != nil {
		return nil, err
	}
	const mib = 1024 * 1024
	memPct := 0.0
	if st.MemLimitBytes > 0 {
		memPct = float64(st.MemUsageBytes) / float64(st.MemLimitBytes) * 100
	}
	return map[string]any{
		"CONTAINER":      ct.Name,
		"CPU %":          round2(st.CPUPercent),
		"MEM USAGE(MiB)": round2(float64(st.MemUsageBytes) / mib),
		"MEM LIMIT(MiB)": round2(float64(st.MemLimitBytes) / mib),
		"MEM %":          round2(memPct),
		"BLOCK I/O(B)":   fmt.Sprintf("%d/%d", st.BlockRead, st.BlockWrite),
		"NET I/O(B)":     fmt.Sprintf("%d/%d", st.NetRx, st.NetTx),
	}, nil
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// containerTop serves GET .../top?ps_args=...
func (s *Server) containerTop(c *call) (any, error) {
	ct, h, err := s.hostOf(c, container.ActTop)
	if err != nil {
		return nil, err
	}
	psArgs := c.r.URL.Query().Get("ps_args")
	if psArgs == "None" {
		psArgs = "" // python-zunclient sends its None as text, Zun reads it as unset
	}
	top, err := h.Top(c.ctx, ct.RuntimeID, psArgs)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Titles": top.Titles, "Processes": top.Processes}, nil
}

// commitContainer serves POST .../commit?repository=R&tag=T as Zun does:
// an image named R, tagged T, is created in the image store and its id
// answered (202) once the host has committed the container (paused
// meanwhile); the image's tarball is then uploaded into the store, which
// makes it active. A failure deletes the image and fails the action's
// event. Without an image store the image stays on the host and the
// answer is its runtime id.
//
// The upload is recorded (images.Upload) before the host commits, and
// carried out by the elected control plane (controlplane.Operations),
// which finishes the action's event: a restart of the process that took
// the request does not lose it.
func (s *Server) commitContainer(c *call) (any, error) {
	q := c.r.URL.Query()
	repo := q.Get("repository")
	if repo == "" {
		return nil, errdefs.Invalidf("Invalid input for query parameters repository: it is required.")
	}
	tag := q.Get("tag")
	if tag == "" {
		tag = "latest"
	}
	if _, err := schema.ImageRef(repo + ":" + tag); err != nil {
		return nil, err
	}
	ct, h, err := s.hostOf(c, container.ActCommit)
	if err != nil {
		return nil, err
	}
	var im *glance.Image
	if s.ImageStore != nil {
		if s.Images == nil {
			return nil, errdefs.NotSupportedf("Commits into the image store are not enabled on this service.")
		}
		if err := glance.CanCreate(principal(c), glance.Shared); err != nil {
			return nil, err
		}
		im = &glance.Image{Name: repo, Tags: []string{tag}, ContainerFormat: "docker", DiskFormat: "raw",
			Owner: ct.ProjectID}
		if err := s.ImageStore.Create(auth.System(c.ctx), im); err != nil {
			return nil, err
		}
	}
	if err := s.Actions.StartAction(c.ctx, s.newAction(c, ct, container.ActCommit)); err != nil {
		c.log.Error("record action", "error", err)
	}
	event := container.EventName(container.ActCommit)
	_ = s.Actions.StartEvent(c.ctx, ct.UUID, c.requestID, event)
	c.status = 202
	if im == nil {
		id, err := h.Commit(c.ctx, ct.RuntimeID, repo, tag)
		_ = s.Actions.FinishEvent(c.ctx, ct.UUID, c.requestID, event, err)
		if err != nil {
			return nil, err
		}
		return map[string]any{"uuid": strings.TrimPrefix(id, "sha256:")}, nil
	}
	fail := func(err error) (any, error) {
		_ = s.Actions.FinishEvent(c.ctx, ct.UUID, c.requestID, event, err)
		if derr := s.Images.DeleteUpload(auth.System(c.ctx), im.ID); derr != nil && !errdefs.IsNotFound(derr) {
			c.log.Warn("drop the upload of a failed commit", "image", im.ID, "error", derr)
		}
		if derr := s.ImageStore.Delete(auth.System(c.ctx), im.ID); derr != nil && !errdefs.IsNotFound(derr) {
			c.log.Warn("delete the image of a failed commit", "image", im.ID, "error", derr)
		}
		return nil, err
	}
	up := &images.Upload{ImageID: im.ID, Container: ct.UUID, Host: ct.Host, Ref: repo + ":" + tag,
		ProjectID: ct.ProjectID, RequestID: c.requestID}
	if err := s.Images.CreateUpload(auth.System(c.ctx), up); err != nil {
		return fail(err)
	}
	// The runtime's commit (the container paused meanwhile) is part of the
	// request, so that its failure is the answer and the container is
	// back to its state when the answer comes; the upload goes on after.
	// Within the bound after which the control plane gives the upload up.
	ctx, cancel := context.WithTimeout(c.ctx, images.CommitWait)
	defer cancel()
	if _, err := h.Commit(ctx, ct.RuntimeID, repo, tag); err != nil {
		return fail(err)
	}
	if _, err := s.Images.UpdateUpload(auth.System(c.ctx), im.ID, func(u *images.Upload) error {
		u.Committed = true
		return nil
	}); err != nil {
		return fail(err)
	}
	c.log.Info("commit upload recorded", "image", im.ID)
	return map[string]any{"uuid": im.ID}, nil
}
