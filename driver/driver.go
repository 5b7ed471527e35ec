// Package driver is the contract between a compute agent and a container
// runtime.
//
// Driver is the small core every runtime implements. Optional features are
// one-method interfaces (Pauser, Execer, Logger, ...) that the agent finds by
// type assertion; a runtime without one answers errdefs.ErrNotSupported at
// the API. Every runtime, the fake one too, passes drivertest.Run.
//
// Drivers name containers and find their own by labels: every container a
// driver creates carries LabelManaged and LabelUUID, so an agent that
// restarts can list the runtime and adopt what is its own.
package driver

import (
	"context"
	"io"
	"time"
)

// Labels every managed container carries: LabelManaged and LabelHost,
// and LabelUUID or, on a sandbox, LabelSandbox.
const (
	LabelManaged = "io.zun.managed" // value "true"
	LabelUUID    = "io.zun.uuid"    // the Zun container's uuid
	LabelHost    = "io.zun.host"    // the compute host that created it
	// LabelSandbox marks a sandbox: a runtime container that holds the
	// network namespace of a Zun container, which joins it. Its value is
	// the uuid of the container it was made for, or "pool" for one made
	// ready for any (the agent's name for it then says whose it is). It
	// has no LabelUUID.
	LabelSandbox = "io.zun.sandbox"
)

// Owner is the uuid of the Zun container a managed runtime container
// belongs to: its own, or that of the container whose sandbox it is.
func Owner(labels map[string]string) string {
	if uuid := labels[LabelUUID]; uuid != "" {
		return uuid
	}
	return labels[LabelSandbox]
}

// LabelPidsLimit, set by the user on a container, asks for its own limit
// on processes (Spec.PidsLimit): a number from 1 to the host's maximum.
// Zun's API has no field for it.
const LabelPidsLimit = "io.zun.pids-limit"

// Driver is the core of a container runtime.
//
// Methods take the runtime's container id (returned by Create). A container
// that does not exist yields an error wrapping errdefs.ErrNotFound; an
// invalid request (unknown image with PullNever, bad signal) errdefs.ErrInvalid.
type Driver interface {
	// Name is the driver's name, such as "docker".
	Name() string
	// PrepareImage makes image available according to policy.
	PrepareImage(ctx context.Context, image string, policy PullPolicy) error
	// Create creates a container from spec without starting it.
	Create(ctx context.Context, spec Spec) (id string, err error)
	// Start starts a created or stopped container.
	Start(ctx context.Context, id string) error
	// Stop stops a container, killing it after timeout.
	Stop(ctx context.Context, id string, timeout time.Duration) error
	// Restart stops (with timeout) and starts a container.
	Restart(ctx context.Context, id string, timeout time.Duration) error
	// Kill sends signal (a name like "SIGTERM" or "KILL", or a number) to
	// the container's main process; "" means SIGKILL.
	Kill(ctx context.Context, id string, signal string) error
	// Remove removes a container; force removes a running one too.
	// Removing a container that does not exist is not an error.
	Remove(ctx context.Context, id string, force bool) error
	// Inspect returns the container's current state.
	Inspect(ctx context.Context, id string) (State, error)
	// List returns every container the driver manages on this host, that
	// is every one carrying LabelManaged.
	List(ctx context.Context) ([]State, error)
}

// RegistryAuth are the credentials of a private registry.
type RegistryAuth struct {
	ServerAddress string // the registry's host[:port]
	Username      string
	Password      string
}

// AuthPreparer is a Driver that can pull with a private registry's
// credentials; PrepareImageAuth is PrepareImage with them.
type AuthPreparer interface {
	PrepareImageAuth(ctx context.Context, image string, policy PullPolicy, auth RegistryAuth) error
}

// Progress is how far a transfer has come, in bytes; Total 0 is not
// known yet.
type Progress struct {
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
}

// ProgressPuller is a Driver that reports how far a pull has come;
// PrepareImageProgress is PrepareImageAuth calling progress (when set) as
// bytes arrive.
type ProgressPuller interface {
	PrepareImageProgress(ctx context.Context, image string, policy PullPolicy, auth RegistryAuth, progress func(Progress)) error
}

// ImageInfo describes an image an engine has.
type ImageInfo struct {
	ID   string // the engine's id, such as sha256:...
	Size int64  // bytes
}

// ImageManager is a Driver that describes and removes its images.
type ImageManager interface {
	// InspectImage describes image ref; ErrNotFound when absent.
	InspectImage(ctx context.Context, ref string) (ImageInfo, error)
	// RemoveImage removes image ref; ErrNotFound when absent, ErrConflict
	// while a container uses it.
	RemoveImage(ctx context.Context, ref string) error
}

// ImageArchiver is a Driver that moves images as `docker save` tarballs
// (the image store's format).
type ImageArchiver interface {
	// LoadImage loads a tarball and returns the references it named
	// (repo:tag), or the loaded image ids when it named none.
	LoadImage(ctx context.Context, tarball io.Reader) ([]string, error)
	// SaveImage streams image ref as a tarball.
	SaveImage(ctx context.Context, ref string) (io.ReadCloser, error)
}

// PullPolicy says when PrepareImage pulls.
type PullPolicy string

// Pull policies, as Zun names them.
const (
	PullAlways       PullPolicy = "always"
	PullIfNotPresent PullPolicy = "ifnotpresent"
	PullNever        PullPolicy = "never"
)

// RestartPolicy is the runtime's restart policy.
type RestartPolicy struct {
	Name          string // "no", "always", "on-failure", "unless-stopped"
	MaxRetryCount int
}

// Healthcheck is a container health check.
type Healthcheck struct {
	Test     []string // as Docker takes it, e.g. ["CMD-SHELL", "stat /x"]
	Interval time.Duration
	Timeout  time.Duration
	Retries  int
}

// Spec is everything a runtime needs to create a container.
type Spec struct {
	// Name is the runtime-level name; the agent uses "zun-<uuid>".
	Name       string
	Image      string
	Command    []string // nil: the image's
	Entrypoint []string // nil: the image's
	Env        map[string]string
	Labels     map[string]string // must include LabelManaged and LabelUUID
	Workdir    string
	Hostname   string
	// CPU is in vCPUs (Docker: CPU shares 1024*CPU and, when set, a CPU
	// quota of the same size); 0 means unlimited.
	CPU float64
	// MemoryMiB is the memory limit; 0 means unlimited.
	MemoryMiB int64
	// PidsLimit caps the container's processes (threads count too); 0
	// means the host's default. A runtime refuses more than the host's
	// maximum (errdefs.ErrInvalid).
	PidsLimit int64
	// DiskGiB caps the container's root filesystem; 0 means no cap. A
	// runtime that cannot enforce it refuses the container
	// (errdefs.ErrInvalid) rather than ignore it.
	DiskGiB       int
	Interactive   bool // keep stdin open
	TTY           bool
	RestartPolicy RestartPolicy
	AutoRemove    bool
	Privileged    bool
	Runtime       string // OCI runtime name such as "runc"; "" for the default
	Healthcheck   *Healthcheck
	Mounts        []Mount
	// NetworkMode is the runtime's network: "" its default, "none" none
	// (a sandbox, whose namespace the agent plugs tenant ports into), or
	// "container:<name or id>" the namespace of that runtime container (a
	// sandbox), resolved to its id at create; the container has the
	// hostname of that one and Hostname must be empty.
	NetworkMode string
}

// Mount binds a path of the host into the container.
type Mount struct {
	Source string // absolute path on the host
	Target string // path in the container
}

// Status values a runtime reports, Docker's words.
const (
	StatusCreated    = "created"
	StatusRunning    = "running"
	StatusPaused     = "paused"
	StatusRestarting = "restarting"
	StatusExited     = "exited"
	StatusDead       = "dead"
	StatusRemoving   = "removing"
)

// State is what the runtime knows of a container.
type State struct {
	ID         string
	Name       string
	Image      string
	Status     string // one of the Status constants
	ExitCode   int
	Error      string // the runtime's error, e.g. a failed start
	Pid        int
	StartedAt  time.Time
	FinishedAt time.Time
	Labels     map[string]string
	Ports      []int // exposed ports
	Hostname   string
	// NetworkMode is the container's Spec.NetworkMode (known from an
	// inspect, not a list).
	NetworkMode string
}

// EventWatcher streams container state changes. The agent re-inspects the
// container on each event, so an event only needs to name it.
type EventWatcher interface {
	// Events sends the ids of managed containers whose state changed, until
	// ctx ends or the stream breaks; then the channel is closed and Err, if
	// the stream broke, says why.
	Events(ctx context.Context) (<-chan Event, <-chan error)
}

// Event says that something happened to a container.
type Event struct {
	ID     string // runtime container id
	UUID   string // the Owner of the container, if known
	Action string // runtime-specific: "start", "die", "destroy", ...
	Time   time.Time
}

// Renamer renames containers: the agent takes a sandbox from its pool of
// started ones by giving it its container's name.
type Renamer interface {
	// Rename gives container id the name; ErrConflict when another
	// container has it.
	Rename(ctx context.Context, id, name string) error
}

// Pauser pauses and unpauses containers.
type Pauser interface {
	Pause(ctx context.Context, id string) error
	Unpause(ctx context.Context, id string) error
}

// ExecResult is the outcome of a non-interactive exec.
type ExecResult struct {
	Output   string // stdout and stderr, interleaved
	ExitCode int
}

// Execer runs a command inside a running container and waits for it.
//
// An exec is bounded by ctx: when ctx ends before the command does, Exec
// ends the command (the process it started and that process's children,
// never the container), waits briefly until it is gone and returns an
// error wrapping ctx's error. An exec never holds up the container's other
// calls (another exec, Stop, Remove...).
type Execer interface {
	Exec(ctx context.Context, id string, cmd []string) (ExecResult, error)
}

// LogOptions selects which logs Logs returns.
type LogOptions struct {
	Stdout     bool
	Stderr     bool
	Timestamps bool
	Tail       string    // "all" or a number of lines; "" is all
	Since      time.Time // zero: from the start
	Follow     bool
}

// Logger reads a container's logs. The reader yields plain text (stdout
// and stderr interleaved, no multiplexing headers).
type Logger interface {
	Logs(ctx context.Context, id string, opts LogOptions) (io.ReadCloser, error)
}

// Resources are the live-updatable limits of a container.
type Resources struct {
	CPU       float64 // 0: leave unchanged
	MemoryMiB int64   // 0: leave unchanged
}

// Updater changes a container's resource limits while it lives.
type Updater interface {
	Update(ctx context.Context, id string, r Resources) error
}

// Stats is a snapshot of a container's resource use.
type Stats struct {
	CPUPercent    float64
	MemUsageBytes uint64
	MemLimitBytes uint64
	BlockRead     uint64
	BlockWrite    uint64
	NetRx         uint64
	NetTx         uint64
}

// Statter reports resource use.
type Statter interface {
	Stats(ctx context.Context, id string) (Stats, error)
}

// TopResult is the process list of a container.
type TopResult struct {
	Titles    []string
	Processes [][]string
}

// Topper lists a container's processes.
type Topper interface {
	Top(ctx context.Context, id string, psArgs string) (TopResult, error)
}

// Committer snapshots a container into an image.
type Committer interface {
	// Commit makes image repository:tag from the container and returns the
	// image's id.
	Commit(ctx context.Context, id, repository, tag string) (string, error)
}

// HostFacts describe the machine a runtime runs on, for the scheduler and
// the hosts API.
type HostFacts struct {
	CPUs      int
	MemoryMiB int64
	DiskGiB   int64 // the runtime's storage; 0 when unknown
	// DiskQuota says whether the runtime can cap a container's root
	// filesystem (Spec.DiskGiB).
	DiskQuota     bool
	OS            string
	OSType        string
	Architecture  string
	KernelVersion string
	Runtimes      []string
}

// Describer reports the facts of the runtime's host.
type Describer interface {
	Describe(ctx context.Context) (HostFacts, error)
}
