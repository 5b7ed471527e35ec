package container

import "time"

// Action is one request made on a container (create, stop, ...), with the
// events of carrying it out. It is kept as long as the container is.
type Action struct {
	Action        string    `json:"action"`
	ContainerUUID string    `json:"container_uuid"`
	RequestID     string    `json:"request_id"`
	UserID        string    `json:"user_id"`
	ProjectID     string    `json:"project_id"`
	StartTime     time.Time `json:"start_time"`
	FinishTime    time.Time `json:"finish_time,omitzero"`
	Message       string    `json:"message,omitempty"`
	Events        []Event   `json:"events,omitempty"`
}

// Event results.
const (
	ResultSuccess = "Success"
	ResultError   = "Error"
)

// Event is one step of an action. An event is started, then finished with
// a result; Traceback holds the error of a failed step.
type Event struct {
	Event      string    `json:"event"`
	StartTime  time.Time `json:"start_time"`
	FinishTime time.Time `json:"finish_time,omitzero"`
	Result     string    `json:"result,omitempty"`
	Traceback  string    `json:"traceback,omitempty"`
}

// EventName is the name of the compute step that carries out action, in
// Zun's style ("compute__do_container_start").
func EventName(action string) string {
	switch action {
	case ActCreate:
		return "compute__do_container_create"
	case ActDelete:
		return "compute__do_container_delete"
	case ActReboot:
		return "compute__do_container_reboot"
	case ActKill:
		return "compute__do_container_kill"
	}
	return "compute__do_container_" + action
}
