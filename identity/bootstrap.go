package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// Bootstrap is the first administrator.
type Bootstrap struct {
	// User and Project are the admin's names (default "admin").
	User, Project string
	// Password of a new admin; empty: a random one, returned.
	Password string
}

// Bootstrap creates the default domain, the admin, member and reader
// roles, and an admin user with the admin role on an admin project, each
// unless it exists. It returns the admin's password when it created the
// admin, and "" when the admin existed (its password is left alone).
func (s *Service) Bootstrap(ctx context.Context, b Bootstrap) (password string, err error) {
	if b.User == "" {
		b.User = "admin"
	}
	if b.Project == "" {
		b.Project = "admin"
	}
	if _, err := s.Domain(DefaultDomainID); err != nil {
		if _, err := s.CreateDomain(ctx, Domain{ID: DefaultDomainID, Name: DefaultDomainName,
			Description: "The default domain", Enabled: true}); err != nil && !errdefs.IsConflict(err) {
			return "", fmt.Errorf("bootstrap default domain: %w", err)
		}
	}
	roles := map[string]Role{}
	for _, name := range bootstrapRoles {
		if found := s.Roles(name); len(found) > 0 {
			roles[name] = found[0]
			continue
		}
		r, err := s.CreateRole(ctx, Role{Name: name})
		if errdefs.IsConflict(err) {
			if found := s.Roles(name); len(found) > 0 {
				r, err = found[0], nil
			}
		}
		if err != nil {
			return "", fmt.Errorf("bootstrap role %s: %w", name, err)
		}
		roles[name] = r
	}
	project, err := s.ensureProject(ctx, b.Project)
	if err != nil {
		return "", err
	}
	if users := s.Users(b.User, DefaultDomainID); len(users) > 0 {
		return "", s.Grant(ctx, Assignment{UserID: users[0].ID, RoleID: roles["admin"].ID, ProjectID: project.ID})
	}
	password = b.Password
	if password == "" {
		password = randomPassword()
	}
	u, err := s.CreateUser(ctx, User{Name: b.User, DomainID: DefaultDomainID, DefaultProjectID: project.ID, Enabled: true}, password)
	if err != nil {
		return "", fmt.Errorf("bootstrap user %s: %w", b.User, err)
	}
	if err := s.Grant(ctx, Assignment{UserID: u.ID, RoleID: roles["admin"].ID, ProjectID: project.ID}); err != nil {
		return "", err
	}
	return password, nil
}

func (s *Service) ensureProject(ctx context.Context, name string) (Project, error) {
	if ps := s.Projects(name, DefaultDomainID); len(ps) > 0 {
		return ps[0], nil
	}
	p, err := s.CreateProject(ctx, Project{Name: name, DomainID: DefaultDomainID, Enabled: true,
		Description: "Bootstrap project for initializing the cloud."})
	if errdefs.IsConflict(err) {
		if ps := s.Projects(name, DefaultDomainID); len(ps) > 0 {
			return ps[0], nil
		}
	}
	if err != nil {
		return Project{}, fmt.Errorf("bootstrap project %s: %w", name, err)
	}
	return p, nil
}

func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Credentials are what clients need to log in.
type Credentials struct {
	AuthURL  string // ".../identity/v3"
	User     string
	Password string
	Project  string
	Region   string
}

// WriteClientFiles writes openrc and clouds.yaml (cloud "zun") into dir,
// readable by their owner only, for the OpenStack clients and zunctl.
func WriteClientFiles(dir string, c Credentials) error {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	openrc := fmt.Sprintf(`# Credentials of the Zun administrator; source this file, then run "zun list".
export OS_AUTH_URL=%s
export OS_AUTH_TYPE=password
export OS_USERNAME=%s
export OS_PASSWORD=%s
export OS_PROJECT_NAME=%s
export OS_USER_DOMAIN_NAME=%s
export OS_PROJECT_DOMAIN_NAME=%s
export OS_REGION_NAME=%s
export OS_IDENTITY_API_VERSION=3
`, q(c.AuthURL), q(c.User), q(c.Password), q(c.Project), DefaultDomainName, DefaultDomainName, q(c.Region))
	yq := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	clouds := fmt.Sprintf(`# Use with: export OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=zun
clouds:
  zun:
    auth_type: password
    auth:
      auth_url: %s
      username: %s
      password: %s
      project_name: %s
      user_domain_name: %s
      project_domain_name: %s
    region_name: %s
    identity_api_version: 3
`, filepath.Join(dir, "clouds.yaml"), yq(c.AuthURL), yq(c.User), yq(c.Password), yq(c.Project),
		DefaultDomainName, DefaultDomainName, yq(c.Region))
	for name, content := range map[string]string{"openrc": openrc, "clouds.yaml": clouds} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	return nil
}
