// Package fake is an in-memory container runtime for tests and scale
// simulation: it implements driver.Driver and every optional driver
// interface, passes the same conformance suite (drivertest) as the Docker
// driver, and needs neither Docker nor root. A fake container costs about
// 1.5 KB and, while it runs, at most one timer: one process simulates
// hundreds of thousands of them (200,000 are created and started in
// under a second).
//
// # Scripting by labels
//
// A container's behaviour is set by labels of its spec, so whatever
// creates containers (the API, the agent, a scale test) can script them:
//
//	io.zun.fake.run-for      Go duration ("30s"): the process exits by itself
//	                         that long after each start; absent: it runs
//	                         until stopped or killed
//	io.zun.fake.exit-code    exit code when it exits by itself (default 0)
//	io.zun.fake.start-error  Start fails with this message (ErrInvalid, as
//	                         the engine's 400); the container keeps its
//	                         status, with the message as its error
//	io.zun.fake.stdout       text the process writes to stdout at each start
//	io.zun.fake.stderr       text the process writes to stderr at each start
//
// Stop ends a process with 143 (SIGTERM), Kill with 128 + the signal's
// number. A process that exits by itself follows the container's restart
// policy (restarting 100ms later) and AutoRemove.
//
// # Knobs
//
// Options.Images are the images present at start; any other image pulls
// instantly unless FailPull made it fail. AddImage adds images later.
// Create, as the engine, needs the image present (ErrNotFound otherwise).
// Exit makes a running process exit by itself now (a crash); WriteLog adds
// to a container's logs; Emit injects an event into every Events stream and
// BreakEvents breaks them all with an error, as an engine restart would.
//
// Exec understands a command, or an `sh -c` script of `;`-separated
// statements, made of `echo WORDS` (stdout; `>&2` for stderr), `exit N`,
// `true`, `false` and `sleep N` (the exec lasts N seconds, unless its
// context or the container's process ends first); any other statement
// prints itself. Options.Exec replaces that. Top shows the container's
// command and the execs that last. Stats
// show 1 MiB of memory in use by a running container, no CPU, disk or
// network use, and the container's memory limit (else Options.HostMemory).
package fake

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Labels that script a fake container.
const (
	LabelRunFor     = "io.zun.fake.run-for"
	LabelExitCode   = "io.zun.fake.exit-code"
	LabelStartError = "io.zun.fake.start-error"
	LabelStdout     = "io.zun.fake.stdout"
	LabelStderr     = "io.zun.fake.stderr"
)

// Options configure a fake Driver. The zero value is a host with no images
// whose pulls all succeed.
type Options struct {
	// HostName, when set, is written as driver.LabelHost on every
	// container, as the Docker driver does.
	HostName string
	// Images are present from the start.
	Images []string
	// HostMemory is the memory limit Stats reports for a container without
	// one; 0 means 8 GiB.
	HostMemory uint64
	// Facts are what Describe reports; zero: 8 CPUs, HostMemory, 100 GiB.
	// DiskQuota is reported as !NoDiskQuota.
	Facts driver.HostFacts
	// NoDiskQuota makes a host that cannot cap root filesystems: Create
	// refuses a spec with DiskGiB, as a Docker host on overlay2 and ext4.
	NoDiskQuota bool
	// Exec, when set, runs every exec instead of the built-in interpreter.
	// It is called without the driver's lock held.
	Exec func(st driver.State, cmd []string) driver.ExecResult
}

// Driver is the fake runtime. It is safe for concurrent use.
type Driver struct {
	opts Options

	mu       sync.Mutex
	ctrs     map[string]*ctr   // by id
	names    map[string]string // name → id
	images   map[string]string // normalised reference → image id
	pullErrs map[string]error  // normalised reference → error of its pulls
	// pullTimes: normalised reference → how long its pulls take
	pullTimes map[string]time.Duration
	subs      map[*subscriber]struct{}
	nextPid   int
}

// New returns a fake runtime.
func New(opts Options) *Driver {
	if opts.HostMemory == 0 {
		opts.HostMemory = 8 << 30
	}
	d := &Driver{
		opts:      opts,
		ctrs:      make(map[string]*ctr),
		names:     make(map[string]string),
		images:    make(map[string]string),
		pullErrs:  make(map[string]error),
		pullTimes: make(map[string]time.Duration),
		subs:      make(map[*subscriber]struct{}),
		nextPid:   1000,
	}
	d.AddImage(opts.Images...)
	return d
}

// Name is "fake".
func (d *Driver) Name() string { return "fake" }

// ctr is a fake container.
type ctr struct {
	state driver.State
	spec  driver.Spec

	runFor    time.Duration // 0: runs until stopped
	exitCode  int
	startErr  string
	gen       uint64 // grows at every start and exit; stale timers compare it
	timer     *time.Timer
	exitLater bool // it exited by itself while paused: it will at unpause
	laterCode int  // with this code
	restarts  int
	logs      []logLine
	changed   chan struct{}          // closed at the next change; nil until a follower waits
	execs     map[*execProc]struct{} // execs that last (sleep), for Top
}

// running reports whether the container has a live (maybe frozen) process.
func (c *ctr) running() bool {
	return c.state.Status == driver.StatusRunning || c.state.Status == driver.StatusPaused
}

// notify wakes whoever follows the container's logs.
func (c *ctr) notify() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// snapshot is a copy of the container's state the caller may keep.
func (c *ctr) snapshot() driver.State {
	st := c.state
	st.Labels = maps.Clone(c.state.Labels)
	return st
}

// lookup finds a container by id or name; d.mu is held.
func (d *Driver) lookup(idOrName string) (*ctr, error) {
	if c, ok := d.ctrs[idOrName]; ok {
		return c, nil
	}
	if id, ok := d.names[idOrName]; ok {
		return d.ctrs[id], nil
	}
	return nil, errdefs.NotFoundf("container %q: no such container", idOrName)
}

// Exit makes the running process of container id exit by itself with code,
// as a crash would: the container's restart policy and AutoRemove apply. A
// paused process exits when it is unpaused.
func (d *Driver) Exit(id string, code int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return err
	}
	switch {
	case !c.running():
		return errdefs.Conflictf("container %q is not running", id)
	case c.state.Status == driver.StatusPaused:
		c.exitLater, c.laterCode = true, code // a frozen process cannot exit yet
	default:
		d.exit(c, code, true)
	}
	return nil
}

// newID is a random 64-hex-digit id, as the engine's.
func newID() string {
	return fmt.Sprintf("%016x%016x%016x%016x", rand.Uint64(), rand.Uint64(), rand.Uint64(), rand.Uint64())
}
