// Package deps pins modules that packages under construction will import,
// so that parallel work does not race on go.mod. Removed once they do.
package deps

import (
	_ "github.com/docker/docker/client"
	_ "github.com/google/uuid"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/crypto/bcrypt"
	_ "go.etcd.io/etcd/client/v3"
	_ "go.etcd.io/etcd/server/v3/embed"
)
