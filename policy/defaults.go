package policy

// The check strings Zun's defaults are built from.
const (
	roleAdmin     = "role:admin"
	adminOrOwner  = "is_admin:True or project_id:%(project_id)s"
	adminAPI      = "rule:context_is_admin"
	denyEverybody = "rule:deny_everybody"
)

// defaults are Zun's rules with the check strings Zun enforces by default:
// the base rules, then the API rules by name. Descriptions name the call a
// rule guards; {id} is the container, capsule, image... the call is about.
var defaults = []Rule{
	{"context_is_admin", roleAdmin, "Who is an administrator; also what is_admin:True means."},
	{"admin_or_owner", adminOrOwner, "An administrator, or a caller with a role on the object's project. The API rules spell this check out rather than refer to it."},
	{"admin_api", adminAPI, "Administrators only. The API rules refer to context_is_admin directly."},
	{"deny_everybody", "!", "Nobody."},

	{"availability_zones:get_all", adminOrOwner, "GET /v1/availability_zones: list availability zones."},

	{"capsule:create", adminOrOwner, "POST /v1/capsules: create a capsule."},
	{"capsule:delete", adminOrOwner, "DELETE /v1/capsules/{id}: delete a capsule."},
	{"capsule:delete_all_projects", adminAPI, "DELETE /v1/capsules/{id}: delete a capsule of another project."},
	{"capsule:get", adminOrOwner, "GET /v1/capsules/{id}: show a capsule."},
	{"capsule:get:host", adminAPI, "Show the host field of capsules in responses."},
	{"capsule:get_all", adminOrOwner, "GET /v1/capsules: list the project's capsules."},
	{"capsule:get_all_all_projects", adminAPI, "GET /v1/capsules?all_projects=1: list the capsules of every project."},
	{"capsule:get_one_all_projects", adminAPI, "GET /v1/capsules/{id}: show a capsule of another project."},

	{"container:action:events", adminAPI, "Include the events (with tracebacks) in a container action's details."},
	{"container:actions", adminOrOwner, "GET /v1/containers/{id}/container_actions[/{request_id}]: list and show a container's actions."},
	{"container:add_security_group", adminOrOwner, "POST /v1/containers/{id}/add_security_group: add a security group."},
	{"container:attach", adminOrOwner, "GET /v1/containers/{id}/attach: attach to a running container."},
	{"container:commit", adminOrOwner, "POST /v1/containers/{id}/commit: make an image of a container."},
	{"container:create", adminOrOwner, "POST /v1/containers: create a container."},
	{"container:create:image_pull_policy", adminAPI, "Choose the image pull policy of a new container."},
	{"container:create:privileged", denyEverybody, "Create a privileged container. It can take over its host: think before allowing it."},
	{"container:create:requested_destination", adminAPI, "Choose the compute host of a new container."},
	{"container:create:runtime", adminAPI, "Choose the runtime of a new container."},
	{"container:delete", adminOrOwner, "DELETE /v1/containers/{id}: delete a container."},
	{"container:delete_all_projects", adminAPI, "DELETE /v1/containers/{id}: delete a container of another project."},
	{"container:delete_force", adminAPI, "DELETE /v1/containers/{id}?force=true: delete a container whatever its state."},
	{"container:execute", adminOrOwner, "POST /v1/containers/{id}/execute: run a command in a running container."},
	{"container:execute_resize", adminOrOwner, "POST /v1/containers/{id}/execute_resize: resize the TTY of a command run with execute."},
	{"container:get_all", adminOrOwner, "GET /v1/containers: list the project's containers."},
	{"container:get_all_all_projects", adminAPI, "GET /v1/containers?all_projects=1: list the containers of every project."},
	{"container:get_archive", adminOrOwner, "GET /v1/containers/{id}/get_archive: download a path of a container as tar."},
	{"container:get_one", adminOrOwner, "GET /v1/containers/{id}: show a container."},
	{"container:get_one:host", adminAPI, "Show the host field of containers in responses."},
	{"container:get_one:image_pull_policy", adminAPI, "Show the image_pull_policy field of containers in responses."},
	{"container:get_one:privileged", adminAPI, "Show the privileged field of containers in responses."},
	{"container:get_one:runtime", adminAPI, "Show the runtime field of containers in responses."},
	{"container:get_one_all_projects", adminAPI, "GET /v1/containers/{id}: show a container of another project."},
	{"container:kill", adminOrOwner, "POST /v1/containers/{id}/kill: send a signal to a container."},
	{"container:logs", adminOrOwner, "GET /v1/containers/{id}/logs: read a container's output."},
	{"container:network_attach", adminOrOwner, "POST /v1/containers/{id}/network_attach: connect a container to a network."},
	{"container:network_detach", adminOrOwner, "POST /v1/containers/{id}/network_detach: disconnect a container from a network."},
	{"container:pause", adminOrOwner, "POST /v1/containers/{id}/pause: pause a container."},
	{"container:put_archive", adminOrOwner, "PUT /v1/containers/{id}/put_archive: unpack a tar into a container."},
	{"container:reboot", adminOrOwner, "POST /v1/containers/{id}/reboot: restart a container."},
	{"container:rebuild", adminOrOwner, "POST /v1/containers/{id}/rebuild: recreate a container from its image."},
	{"container:remove_security_group", adminOrOwner, "POST /v1/containers/{id}/remove_security_group: remove a security group."},
	{"container:rename", adminOrOwner, "POST /v1/containers/{id}/rename: rename a container."},
	{"container:resize", adminOrOwner, "POST /v1/containers/{id}/resize: resize a container's TTY."},
	{"container:resize_container", adminOrOwner, "POST /v1/containers/{id}/resize_container: change a container's CPU and memory."},
	{"container:start", adminOrOwner, "POST /v1/containers/{id}/start: start a container."},
	{"container:stats", adminOrOwner, "GET /v1/containers/{id}/stats: show a container's resource usage."},
	{"container:stop", adminOrOwner, "POST /v1/containers/{id}/stop: stop a container."},
	{"container:top", adminOrOwner, "GET /v1/containers/{id}/top: list a container's processes."},
	{"container:unpause", adminOrOwner, "POST /v1/containers/{id}/unpause: resume a paused container."},
	{"container:update", adminOrOwner, "PATCH /v1/containers/{id}: change a container's name, CPU or memory."},

	{"host:get", adminAPI, "GET /v1/hosts/{id}: show a compute host."},
	{"host:get_all", adminAPI, "GET /v1/hosts: list compute hosts."},

	{"image:delete", adminAPI, "DELETE /v1/images/{id}: delete an image from a host."},
	{"image:get_all", adminAPI, "GET /v1/images: list images on hosts."},
	{"image:get_one", adminAPI, "GET /v1/images/{id}: show an image."},
	{"image:pull", adminAPI, "POST /v1/images: pull an image onto a host."},
	{"image:search", adminOrOwner, "GET /v1/images/{name}/search: search for an image."},

	{"network:attach_external_network", roleAdmin, "Connect a container to an external network that is not shared."},
	{"network:create", roleAdmin, "POST /v1/networks: create a network."},
	{"network:delete", roleAdmin, "DELETE /v1/networks: delete a network."},

	{"quota:delete", adminAPI, "DELETE /v1/quotas/{project_id}: reset a project's quotas."},
	{"quota:get", adminOrOwner, "GET /v1/quotas/{project_id}: show a project's quotas."},
	{"quota:get_default", adminOrOwner, "GET /v1/quotas/defaults: show the default quotas."},
	{"quota:update", adminAPI, "PUT /v1/quotas/{project_id}: set a project's quotas."},

	{"quota_class:get", adminAPI, "GET /v1/quota_classes/{name}: show a quota class."},
	{"quota_class:update", adminAPI, "PUT /v1/quota_classes/{name}: set a quota class."},

	{"registry:create", adminOrOwner, "POST /v1/registries: add an image registry."},
	{"registry:delete", adminOrOwner, "DELETE /v1/registries/{id}: remove an image registry."},
	{"registry:get_all", adminOrOwner, "GET /v1/registries: list the project's registries."},
	{"registry:get_all_all_projects", adminAPI, "GET /v1/registries?all_projects=1: list the registries of every project."},
	{"registry:get_one", adminOrOwner, "GET /v1/registries/{id}: show a registry."},
	{"registry:update", adminOrOwner, "PATCH /v1/registries/{id}: change a registry."},

	{"zun-service:delete", adminAPI, "DELETE /v1/services: remove a service record."},
	{"zun-service:disable", adminAPI, "PUT /v1/services/disable: stop scheduling onto a compute service."},
	{"zun-service:enable", adminAPI, "PUT /v1/services/enable: resume scheduling onto a compute service."},
	{"zun-service:force_down", adminAPI, "PUT /v1/services/force_down: mark a compute service down."},
	{"zun-service:get_all", adminAPI, "GET /v1/services: list services and their state."},
}
