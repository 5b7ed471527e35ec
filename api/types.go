// Package api holds the wire types of Zun's container API v1 and the
// project's Go client. zunctl is built only on this package.
//
// The server renders its responses itself (fields are gated by microversion
// and policy there); these types are what a client decodes, so every field
// tolerates being absent or null.
package api

// Link is a self or bookmark link of a resource.
type Link struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

// RestartPolicy is Docker's restart policy as Zun shows it: both values are
// strings, for example {"Name": "on-failure", "MaximumRetryCount": "3"}.
type RestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount string `json:"MaximumRetryCount,omitempty"`
}

// Healthcheck is a container health check; durations in seconds.
type Healthcheck struct {
	Test     string `json:"test,omitempty"`
	Interval int    `json:"interval,omitempty"`
	Retries  int    `json:"retries,omitempty"`
	Timeout  int    `json:"timeout,omitempty"`
}

// Address is one IP address of a container on a network.
type Address struct {
	Addr             string `json:"addr"`
	Version          int    `json:"version"`
	Port             string `json:"port,omitempty"`
	SubnetID         string `json:"subnet_id,omitempty"`
	PreserveOnDelete bool   `json:"preserve_on_delete"`
}

// Container is the container view. Memory is in MiB as a string and Disk in
// GiB, as Zun has them.
type Container struct {
	UUID            string               `json:"uuid"`
	Links           []Link               `json:"links,omitempty"`
	UserID          string               `json:"user_id"`
	ProjectID       string               `json:"project_id"`
	Name            string               `json:"name"`
	Image           string               `json:"image"`
	Command         []string             `json:"command"`
	Entrypoint      []string             `json:"entrypoint,omitempty"`
	Status          string               `json:"status"`
	StatusReason    string               `json:"status_reason"`
	StatusDetail    string               `json:"status_detail"`
	TaskState       string               `json:"task_state"`
	CPU             float64              `json:"cpu"`
	CPUPolicy       string               `json:"cpu_policy,omitempty"`
	Memory          string               `json:"memory"`
	Disk            int                  `json:"disk"`
	Environment     map[string]string    `json:"environment"`
	Workdir         string               `json:"workdir"`
	Ports           []int                `json:"ports"`
	Hostname        string               `json:"hostname"`
	Labels          map[string]string    `json:"labels"`
	Addresses       map[string][]Address `json:"addresses"`
	ImagePullPolicy string               `json:"image_pull_policy,omitempty"`
	Host            string               `json:"host,omitempty"`
	RestartPolicy   RestartPolicy        `json:"restart_policy"`
	Interactive     bool                 `json:"interactive"`
	TTY             bool                 `json:"tty"`
	ImageDriver     string               `json:"image_driver"`
	SecurityGroups  []string             `json:"security_groups"`
	AutoRemove      bool                 `json:"auto_remove"`
	AutoHeal        bool                 `json:"auto_heal"`
	Runtime         string               `json:"runtime,omitempty"`
	Privileged      bool                 `json:"privileged"`
	Healthcheck     *Healthcheck         `json:"healthcheck,omitempty"`
	RegistryID      string               `json:"registry_id,omitempty"`
	CreatedAt       string               `json:"created_at"`
	UpdatedAt       string               `json:"updated_at"`
}

// ContainerList is a page of containers; Next is the URL of the next page.
type ContainerList struct {
	Containers []Container `json:"containers"`
	Next       string      `json:"next"`
}

// Mount is one entry of a create request's mounts.
type Mount struct {
	Type        string `json:"type,omitempty"`
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination"`
	Size        string `json:"size,omitempty"`
}

// Network is one entry of a create request's nets.
type Network struct {
	Network   string `json:"network,omitempty"`
	Port      string `json:"port,omitempty"`
	V4FixedIP string `json:"v4-fixed-ip,omitempty"`
	V6FixedIP string `json:"v6-fixed-ip,omitempty"`
}

// CreateContainer is the body of POST /v1/containers at microversion 1.20
// or later (command is a list). Unset fields are left out.
type CreateContainer struct {
	Image            string            `json:"image"`
	Name             string            `json:"name,omitempty"`
	Command          []string          `json:"command,omitempty"`
	Entrypoint       []string          `json:"entrypoint,omitempty"`
	CPU              float64           `json:"cpu,omitempty"`
	Memory           string            `json:"memory,omitempty"`
	Disk             int               `json:"disk,omitempty"`
	Workdir          string            `json:"workdir,omitempty"`
	Environment      map[string]string `json:"environment,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	RestartPolicy    *RestartPolicy    `json:"restart_policy,omitempty"`
	Interactive      bool              `json:"interactive,omitempty"`
	TTY              bool              `json:"tty,omitempty"`
	ImageDriver      string            `json:"image_driver,omitempty"`
	ImagePullPolicy  string            `json:"image_pull_policy,omitempty"`
	SecurityGroups   []string          `json:"security_groups,omitempty"`
	Nets             []Network         `json:"nets,omitempty"`
	Mounts           []Mount           `json:"mounts,omitempty"`
	Hints            map[string]string `json:"hints,omitempty"`
	AvailabilityZone string            `json:"availability_zone,omitempty"`
	Runtime          string            `json:"runtime,omitempty"`
	Hostname         string            `json:"hostname,omitempty"`
	AutoRemove       bool              `json:"auto_remove,omitempty"`
	AutoHeal         bool              `json:"auto_heal,omitempty"`
	Privileged       bool              `json:"privileged,omitempty"`
	Healthcheck      *Healthcheck      `json:"healthcheck,omitempty"`
	ExposedPorts     map[string]any    `json:"exposed_ports,omitempty"`
	Registry         string            `json:"registry,omitempty"`
	Host             string            `json:"host,omitempty"`
}

// UpdateContainer is the body of PATCH /v1/containers/{id}.
type UpdateContainer struct {
	Name     string  `json:"name,omitempty"`
	CPU      float64 `json:"cpu,omitempty"`
	Memory   string  `json:"memory,omitempty"`
	AutoHeal *bool   `json:"auto_heal,omitempty"`
}

// ExecResult is the answer of POST .../execute. With run=true, Output and
// ExitCode are set; otherwise ExecID and ProxyURL.
type ExecResult struct {
	Output   string `json:"output"`
	ExitCode *int   `json:"exit_code"`
	ExecID   string `json:"exec_id"`
	ProxyURL string `json:"proxy_url"`
}

// Top is the answer of GET .../top, as Docker gives it.
type Top struct {
	Titles    []string   `json:"Titles"`
	Processes [][]string `json:"Processes"`
}

// Stats is the answer of GET .../stats; Zun's keys are human-readable
// column titles ("CPU %", "MEM USAGE(MiB)", ...).
type Stats map[string]any

// Stats keys, as Zun returns them.
const (
	StatsContainer = "CONTAINER"
	StatsCPUPct    = "CPU %"
	StatsMemUsage  = "MEM USAGE(MiB)"
	StatsMemLimit  = "MEM LIMIT(MiB)"
	StatsMemPct    = "MEM %"
	StatsBlockIO   = "BLOCK I/O(B)"
	StatsNetIO     = "NET I/O(B)"
)

// CommitResult is the answer of POST .../commit.
type CommitResult struct {
	UUID string `json:"uuid"`
}

// ActionEvent is one step of a container action.
type ActionEvent struct {
	Event      string `json:"event"`
	StartTime  string `json:"start_time"`
	FinishTime string `json:"finish_time"`
	Result     string `json:"result"`
	Traceback  string `json:"traceback"`
}

// ContainerAction is one request made on a container, with its events when
// shown on its own.
type ContainerAction struct {
	Action        string        `json:"action"`
	ContainerUUID string        `json:"container_uuid"`
	RequestID     string        `json:"request_id"`
	UserID        string        `json:"user_id"`
	ProjectID     string        `json:"project_id"`
	StartTime     string        `json:"start_time"`
	FinishTime    string        `json:"finish_time"`
	Message       string        `json:"message"`
	Events        []ActionEvent `json:"events,omitempty"`
}

// ContainerActionList is the answer of GET .../container_actions.
type ContainerActionList struct {
	ContainerActions []ContainerAction `json:"containerActions"`
}

// ErrorItem is one error of Zun's error body.
type ErrorItem struct {
	RequestID string `json:"request_id"`
	Code      string `json:"code"`
	Status    int    `json:"status"`
	Title     string `json:"title"`
	Detail    string `json:"detail"`
	Links     []Link `json:"links"`
	// Set on 406 for an unsupported microversion.
	MaxVersion string `json:"max_version,omitempty"`
	MinVersion string `json:"min_version,omitempty"`
}

// ErrorBody is Zun's error response body.
type ErrorBody struct {
	Errors []ErrorItem `json:"errors"`
}

// APIVersion is one entry of the root version document.
type APIVersion struct {
	ID         string `json:"id"`
	Links      []Link `json:"links"`
	Status     string `json:"status"`
	MaxVersion string `json:"max_version"`
	MinVersion string `json:"min_version"`
}

// Root is the document served at GET /.
type Root struct {
	Name           string       `json:"name"`
	Description    string       `json:"description"`
	Versions       []APIVersion `json:"versions"`
	DefaultVersion APIVersion   `json:"default_version"`
}
