package fake

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Exec runs cmd in the running container: through Options.Exec when set,
// else through the fake's tiny interpreter (see the package comment). A
// `sleep N` makes the exec last N seconds, shown by Top meanwhile, unless
// ctx ends first (the exec is then ended, and Exec returns ctx's error)
// or the container's process ends (the exec is killed with it: 137).
func (d *Driver) Exec(ctx context.Context, id string, cmd []string) (driver.ExecResult, error) {
	if len(cmd) == 0 {
		return driver.ExecResult{}, errdefs.Invalidf("exec in container %q: no command", id)
	}
	if err := ctx.Err(); err != nil {
		return driver.ExecResult{}, err
	}
	d.mu.Lock()
	c, err := d.lookup(id)
	var st driver.State
	if err == nil {
		st = c.snapshot()
	}
	d.mu.Unlock()
	switch {
	case err != nil:
		return driver.ExecResult{}, err
	case st.Status == driver.StatusPaused:
		return driver.ExecResult{}, errdefs.Conflictf("exec in container %q: container is paused", id)
	case st.Status != driver.StatusRunning:
		return driver.ExecResult{}, errdefs.Conflictf("exec in container %q: container is not running", id)
	}
	if d.opts.Exec != nil {
		return d.opts.Exec(st, cmd), nil
	}
	res, lasts := interpret(cmd)
	if lasts == 0 {
		return res, nil
	}
	return d.execFor(ctx, c, st, cmd, res, lasts)
}

// execFor lets an exec of c, whose process is st's, last for lasts.
func (d *Driver) execFor(ctx context.Context, c *ctr, st driver.State, cmd []string, res driver.ExecResult, lasts time.Duration) (driver.ExecResult, error) {
	d.mu.Lock()
	x := &execProc{pid: d.nextPid, cmd: strings.Join(cmd, " ")}
	d.nextPid++
	if c.execs == nil {
		c.execs = make(map[*execProc]struct{})
	}
	c.execs[x] = struct{}{}
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(c.execs, x)
		d.mu.Unlock()
	}()
	timer := time.NewTimer(lasts)
	defer timer.Stop()
	for {
		d.mu.Lock()
		if c.state.Pid != st.Pid || !c.running() {
			d.mu.Unlock()
			return driver.ExecResult{Output: res.Output, ExitCode: 137}, nil
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		changed := c.changed
		d.mu.Unlock()
		select {
		case <-timer.C:
			return res, nil
		case <-ctx.Done():
			return driver.ExecResult{}, fmt.Errorf("exec %q in container %q: %w (the command was ended)", x.cmd, st.ID, ctx.Err())
		case <-changed:
		}
	}
}

// execProc is an exec that lasts, for Top.
type execProc struct {
	pid int
	cmd string
}

// interpret runs cmd, or the script of `sh -c SCRIPT`, statement by
// statement: echo, exit, true, false and sleep are understood; any other
// statement prints itself. It returns how long the sleeps add up to (a
// `sleep N & ...` statement sleeps too, as the command would last).
func interpret(cmd []string) (driver.ExecResult, time.Duration) {
	script := strings.Join(cmd, " ")
	if len(cmd) == 3 && (cmd[0] == "sh" || cmd[0] == "/bin/sh") && cmd[1] == "-c" {
		script = cmd[2]
	}
	var res driver.ExecResult
	var lasts time.Duration
	for _, stmt := range strings.Split(script, ";") {
		words := strings.Fields(stmt)
		if len(words) == 0 {
			continue
		}
		switch words[0] {
		case "echo":
			var out []string
			for _, w := range words[1:] {
				if w != ">&2" && w != "1>&2" {
					out = append(out, strings.Trim(w, `"'`))
				}
			}
			res.Output += strings.Join(out, " ") + "\n"
			res.ExitCode = 0
		case "exit":
			res.ExitCode = 0
			if len(words) > 1 {
				if n, err := strconv.Atoi(words[1]); err == nil {
					res.ExitCode = n & 0xff
				}
			}
			return res, lasts
		case "true":
			res.ExitCode = 0
		case "false":
			res.ExitCode = 1
		case "sleep":
			res.ExitCode = 1 // sleep without a number fails
			if len(words) > 1 {
				if n, err := strconv.ParseFloat(words[1], 64); err == nil && n >= 0 {
					lasts += time.Duration(n * float64(time.Second))
					res.ExitCode = 0
				}
			}
		default:
			res.Output += strings.Join(words, " ") + "\n"
			res.ExitCode = 0
		}
	}
	return res, lasts
}

// Top shows the container's process and its lasting execs, as `ps -ef`
// would; psArgs are ignored.
func (d *Driver) Top(ctx context.Context, id, psArgs string) (driver.TopResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return driver.TopResult{}, err
	}
	if !c.running() {
		return driver.TopResult{}, errdefs.Conflictf("processes of container %q: container is not running", id)
	}
	command := strings.Join(append(append([]string{}, c.spec.Entrypoint...), c.spec.Command...), " ")
	if command == "" {
		command = "sh"
	}
	top := driver.TopResult{
		Titles: []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
		Processes: [][]string{{"root", strconv.Itoa(c.state.Pid), "1", "0",
			c.state.StartedAt.Format("15:04"), "?", "00:00:00", command}},
	}
	for x := range c.execs {
		top.Processes = append(top.Processes, []string{"root", strconv.Itoa(x.pid), "0", "0",
			c.state.StartedAt.Format("15:04"), "?", "00:00:00", x.cmd})
	}
	return top, nil
}

// Interface guards
var (
	_ driver.Execer = (*Driver)(nil)
	_ driver.Topper = (*Driver)(nil)
)
