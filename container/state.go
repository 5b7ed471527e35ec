package container

import (
	"slices"

	"github.com/zun-go/zun/errdefs"
)

// Status is a container's status, Zun's words.
type Status string

// Statuses.
const (
	Error      Status = "Error"
	Running    Status = "Running"
	Stopped    Status = "Stopped"
	Paused     Status = "Paused"
	Unknown    Status = "Unknown"
	Creating   Status = "Creating"
	Created    Status = "Created"
	Deleted    Status = "Deleted"
	Deleting   Status = "Deleting"
	Rebuilding Status = "Rebuilding"
	Dead       Status = "Dead"
	Restarting Status = "Restarting"
)

// TaskState is the operation a compute host is carrying out on a container;
// "" when none.
type TaskState string

// Task states.
const (
	TaskNone         TaskState = ""
	ImagePulling     TaskState = "image_pulling"
	TaskCreating     TaskState = "container_creating"
	TaskStarting     TaskState = "container_starting"
	TaskDeleting     TaskState = "container_deleting"
	TaskStopping     TaskState = "container_stopping"
	TaskRebooting    TaskState = "container_rebooting"
	TaskPausing      TaskState = "container_pausing"
	TaskUnpausing    TaskState = "container_unpausing"
	TaskKilling      TaskState = "container_killing"
	TaskRebuilding   TaskState = "container_rebuilding"
	TaskSGAdding     TaskState = "sg_adding"
	TaskSGRemoving   TaskState = "sg_removing"
	TaskNetAttaching TaskState = "network_attaching"
	TaskNetDetaching TaskState = "network_detaching"
)

// Action names, as recorded in container actions and used in state checks.
const (
	ActCreate        = "create"
	ActDelete        = "delete"
	ActDeleteForce   = "delete_force"
	ActDeleteStop    = "delete_after_stop"
	ActStart         = "start"
	ActStop          = "stop"
	ActReboot        = "reboot"
	ActRebuild       = "rebuild"
	ActPause         = "pause"
	ActUnpause       = "unpause"
	ActKill          = "kill"
	ActExecute       = "execute"
	ActExecResize    = "execute_resize"
	ActAttach        = "attach"
	ActResize        = "resize"
	ActTop           = "top"
	ActStats         = "stats"
	ActLogs          = "logs"
	ActCommit        = "commit"
	ActUpdate        = "update"
	ActGetArchive    = "get_archive"
	ActPutArchive    = "put_archive"
	ActAddSG         = "add_security_group"
	ActRemoveSG      = "remove_security_group"
	ActResizeContain = "resize_container"
)

// validStates is Zun's table of the statuses each action is allowed in.
// Actions not listed (rename, show, network_list, ...) have no check.
var validStates = map[string][]Status{
	ActStart:         {Created, Stopped, Error},
	ActStop:          {Running},
	ActPause:         {Running},
	ActKill:          {Running},
	ActExecute:       {Running},
	ActExecResize:    {Running},
	ActAttach:        {Running},
	ActResize:        {Running},
	ActTop:           {Running},
	ActStats:         {Running},
	ActUnpause:       {Paused},
	ActReboot:        {Created, Running, Stopped, Error},
	ActRebuild:       {Created, Running, Stopped, Error},
	ActCommit:        {Running, Stopped, Paused},
	ActUpdate:        {Created, Running, Stopped, Paused},
	ActResizeContain: {Created, Running, Stopped, Paused},
	ActAddSG:         {Created, Running, Stopped, Paused},
	ActRemoveSG:      {Created, Running, Stopped, Paused},
	ActGetArchive:    {Created, Paused, Running, Stopped},
	ActPutArchive:    {Created, Paused, Running, Stopped},
	ActLogs:          {Created, Error, Paused, Running, Stopped, Unknown},
	ActDelete:        {Created, Error, Stopped, Deleted, Dead},
	ActDeleteForce: {Created, Creating, Error, Running, Stopped, Unknown,
		Deleted, Dead, Restarting, Rebuilding, Deleting},
	ActDeleteStop: {Running, Created, Error, Stopped, Deleted, Dead},
}

// CheckState returns an ErrConflict naming the state when action is not
// allowed for c in its current status.
func CheckState(c *Container, action string) error {
	allowed, ok := validStates[action]
	if !ok || slices.Contains(allowed, c.Status) {
		return nil
	}
	verb := action
	switch action {
	case ActDeleteForce, ActDeleteStop:
		verb = ActDelete
	case ActExecute:
		verb = "execute command in"
	}
	return errdefs.Conflictf("Cannot %s container %s in %s state.", verb, c.UUID, c.Status)
}
