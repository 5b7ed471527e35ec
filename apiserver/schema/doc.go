// Package schema decodes and validates what clients send to the container
// API: the body of POST /v1/containers (ContainerCreate), the body of
// PATCH /v1/containers/{id} and resize_container (ContainerUpdate), and the
// query parameters of the container actions (Bool, Timeout, Signal, Tail,
// Since, Limit, SortDir, ExecCommand, Name).
//
// The rules are Zun's (zun/api/controllers/v1/schemas and the checks of
// ContainersController._do_post), written out by hand per microversion so
// that every refusal is an errdefs.ErrInvalid whose message names the
// field or parameter, repeats the value received and says what would have
// been accepted:
//
//	Invalid input for field 'memory'. Value: '12X'. The memory is a whole number of MiB: an integer or a string of digits.
//	Invalid param hostname because current request version is 1.8. hostname is only supported from version 1.9
//
// The package knows nothing of policies, quotas or other services: it
// reports which fields a request set (CreateRequest.Set) and leaves the
// admin-only fields, security group and registry lookups and name
// generation to the handler.
//
// Where this package is stricter than Zun, it refuses at the API what Zun
// would accept and then fail on (a 500, or a container in Error): nested
// values Zun's schema does not reach (healthcheck keys, command items),
// image references Docker cannot pull, ports out of range. Those places
// say so in their comments.
package schema
