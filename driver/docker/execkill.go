package docker

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/zun-go/zun/errdefs"
)

// errProcessGone: the process to kill had already exited.
var errProcessGone = errors.New("process gone")

// killExec sends SIGKILL to the process pid of an exec in container
// containerID (pids as the engine reports them), to its process group
// (an exec's process leads a session of its own, so the group is what it
// started in the background) and to its descendants that left the group.
//
// Nothing else is signalled, even if pids are reused meanwhile: the
// process is held by a pidfd (os.FindProcess) from before stillOurs
// confirms with the engine that the exec runs as pid, and every process
// signalled must be in the container's cgroup. A pid of another pid
// namespace (an engine on another host, or in a container) is not in the
// container's cgroup here, which is an errdefs.ErrNotSupported error.
// Processes that both left the group and were orphaned before (daemons
// that double-fork) belong to the container from then on and are left.
func killExec(pid int, containerID string, stillOurs func() bool) error {
	proc, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	defer proc.Release()
	in, err := inContainer(pid, containerID)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return errProcessGone
	case err != nil:
		return err
	case !in:
		return errdefs.NotSupportedf("process %d of the exec is not in container %.12s as seen from here: the agent does not share the engine's pid namespace", pid, containerID)
	case !stillOurs():
		return errProcessGone // ended, or the pid is another's now
	}
	family := descendants(pid)
	err = proc.Signal(syscall.SIGKILL)
	if errors.Is(err, os.ErrProcessDone) {
		err = nil // its group and descendants may live on
	}
	if pgid, gerr := syscall.Getpgid(pid); gerr == nil && pgid == pid {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	for _, p := range family {
		killIn(p, containerID)
	}
	return err
}

// killIn sends SIGKILL to process pid if it is in the container.
func killIn(pid int, containerID string) {
	proc, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	defer proc.Release()
	if in, err := inContainer(pid, containerID); err == nil && in {
		_ = proc.Signal(syscall.SIGKILL)
	}
}

// inContainer reports whether process pid is in the cgroup of container
// containerID: every cgroup layout of the engine (cgroupfs, systemd, v1
// and v2) names the container's full id in the path.
func inContainer(pid int, containerID string) (bool, error) {
	if len(containerID) < 64 {
		return false, fmt.Errorf("container id %q is not a full id", containerID)
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return false, err
	}
	return strings.Contains(string(b), containerID), nil
}

// descendants lists the processes under pid, from the parents recorded in
// /proc/*/stat.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentOf(p); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	for queue := children[pid]; len(queue) > 0; queue = queue[1:] {
		out = append(out, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return out
}

// parentOf is the parent of process pid, from /proc/pid/stat, whose
// second field (the command, in parentheses) may hold spaces and
// parentheses itself.
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:]) // state, ppid, ...
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}
