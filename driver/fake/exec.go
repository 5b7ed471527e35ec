package fake

import (
	"context"
	"strconv"
	"strings"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Exec runs cmd in the running container: through Options.Exec when set,
// else through the fake's tiny interpreter (see the package comment).
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
	return interpret(cmd), nil
}

// interpret runs cmd, or the script of `sh -c SCRIPT`, statement by
// statement: echo, exit, true and false are understood; any other
// statement prints itself.
func interpret(cmd []string) driver.ExecResult {
	script := strings.Join(cmd, " ")
	if len(cmd) == 3 && (cmd[0] == "sh" || cmd[0] == "/bin/sh") && cmd[1] == "-c" {
		script = cmd[2]
	}
	var res driver.ExecResult
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
			return res
		case "true":
			res.ExitCode = 0
		case "false":
			res.ExitCode = 1
		default:
			res.Output += strings.Join(words, " ") + "\n"
			res.ExitCode = 0
		}
	}
	return res
}

// Top shows the container's one process, as `ps -ef` would; psArgs are
// ignored.
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
	return driver.TopResult{
		Titles: []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
		Processes: [][]string{{"root", strconv.Itoa(c.state.Pid), "1", "0",
			c.state.StartedAt.Format("15:04"), "?", "00:00:00", command}},
	}, nil
}

// Interface guards
var (
	_ driver.Execer = (*Driver)(nil)
	_ driver.Topper = (*Driver)(nil)
)
