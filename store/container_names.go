package store

import (
	"context"
	"strings"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// Name uniqueness. With a name scope, each container's lower-cased name
// has a key holding its uuid, created in the same transaction as the
// record (or the rename) and deleted with it, so two containers cannot
// take one name however requests interleave, in one process or many:
//
//	container-names/project/<project id>/<name>   scope "project"
//	container-names/global/<name>                 scope "global"

// nameKey is the uniqueness key of c's name; "" when names need not be
// unique or c has none.
func (s *ContainerStore) nameKey(c *container.Container) string {
	if c.Name == "" {
		return ""
	}
	name := strings.ToLower(c.Name)
	switch s.scope {
	case NameScopeProject:
		return namesPrefix + "project/" + c.ProjectID + "/" + name
	case NameScopeGlobal:
		return namesPrefix + "global/" + name
	}
	return ""
}

// releaseName adds to txn the deletion of c's name key, if c holds it. A
// container stored before the scope was set holds no key, and must not
// free the one another container holds.
func (s *ContainerStore) releaseName(ctx context.Context, txn *Txn, c *container.Container) error {
	key := s.nameKey(c)
	if key == "" {
		return nil
	}
	it, err := Get[string](ctx, s.db, key)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if it.Value == c.UUID {
		txn.Require(key, it.Revision).Delete(key)
	}
	return nil
}

// nameTaken is Zun's error for a name in use.
func nameTaken(name string) error {
	return errdefs.Conflictf("A container with name %s already exists.", strings.ToLower(name))
}
