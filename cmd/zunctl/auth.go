package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/zun-go/zun/api"
)

// OpenStack-style login: zunctl takes its credentials the way the
// OpenStack clients do, from OS_CLOUD and a clouds.yaml, or from the
// OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, ... variables
// that an openrc file exports. The container endpoint then comes from the
// service catalog unless --endpoint or ZUN_ENDPOINT names one, and so does
// the image store's unless --image-endpoint or ZUN_IMAGE_ENDPOINT does.

// login returns the identity login of the environment, or nil when it
// names none.
func login(getenv func(string) string) (*api.Password, error) {
	if cloud := getenv("OS_CLOUD"); cloud != "" {
		return cloudLogin(cloud, getenv)
	}
	if getenv("OS_AUTH_URL") == "" {
		return nil, nil
	}
	return &api.Password{
		AuthURL:           getenv("OS_AUTH_URL"),
		Username:          getenv("OS_USERNAME"),
		UserID:            getenv("OS_USER_ID"),
		Password:          getenv("OS_PASSWORD"),
		UserDomainName:    getenv("OS_USER_DOMAIN_NAME"),
		UserDomainID:      getenv("OS_USER_DOMAIN_ID"),
		ProjectName:       firstSet(getenv("OS_PROJECT_NAME"), getenv("OS_TENANT_NAME")),
		ProjectID:         firstSet(getenv("OS_PROJECT_ID"), getenv("OS_TENANT_ID")),
		ProjectDomainName: getenv("OS_PROJECT_DOMAIN_NAME"),
		ProjectDomainID:   getenv("OS_PROJECT_DOMAIN_ID"),
		Region:            getenv("OS_REGION_NAME"),
		Interface:         getenv("OS_INTERFACE"),
	}, nil
}

// cloudsFile is the part of clouds.yaml zunctl reads.
type cloudsFile struct {
	Clouds map[string]struct {
		Auth struct {
			AuthURL           string `json:"auth_url"`
			Username          string `json:"username"`
			UserID            string `json:"user_id"`
			Password          string `json:"password"`
			ProjectName       string `json:"project_name"`
			ProjectID         string `json:"project_id"`
			UserDomainName    string `json:"user_domain_name"`
			UserDomainID      string `json:"user_domain_id"`
			ProjectDomainName string `json:"project_domain_name"`
			ProjectDomainID   string `json:"project_domain_id"`
		} `json:"auth"`
		RegionName string `json:"region_name"`
		Interface  string `json:"interface"`
	} `json:"clouds"`
}

// cloudLogin reads cloud from the first clouds.yaml found where the
// OpenStack clients look: OS_CLIENT_CONFIG_FILE, the current directory,
// ~/.config/openstack, /etc/openstack.
func cloudLogin(cloud string, getenv func(string) string) (*api.Password, error) {
	paths := []string{getenv("OS_CLIENT_CONFIG_FILE"), "clouds.yaml"}
	if home, err := os.UserHomeDir(); err == nil {
		paths = append(paths, filepath.Join(home, ".config", "openstack", "clouds.yaml"))
	}
	paths = append(paths, "/etc/openstack/clouds.yaml")
	for _, p := range paths {
		if p == "" {
			continue
		}
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, usagef("OS_CLOUD=%s: %v", cloud, err)
		}
		var f cloudsFile
		if err := yaml.Unmarshal(b, &f); err != nil {
			return nil, usagef("OS_CLOUD=%s: %s: %v", cloud, p, err)
		}
		c, ok := f.Clouds[cloud]
		if !ok {
			return nil, usagef("OS_CLOUD=%s: no such cloud in %s", cloud, p)
		}
		a := c.Auth
		return &api.Password{
			AuthURL: a.AuthURL, Username: a.Username, UserID: a.UserID, Password: a.Password,
			ProjectName: a.ProjectName, ProjectID: a.ProjectID,
			UserDomainName: a.UserDomainName, UserDomainID: a.UserDomainID,
			ProjectDomainName: a.ProjectDomainName, ProjectDomainID: a.ProjectDomainID,
			Region: firstSet(getenv("OS_REGION_NAME"), c.RegionName), Interface: c.Interface,
		}, nil
	}
	return nil, usagef("OS_CLOUD=%s: no clouds.yaml found (set OS_CLIENT_CONFIG_FILE)", cloud)
}

// catalogEndpoint logs in and finds the endpoint of serviceType
// ("container", "image") in the catalog.
func catalogEndpoint(p *api.Password, serviceType string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := p.Endpoint(ctx, serviceType)
	if err != nil {
		return "", fmt.Errorf("find the %s service: %w", serviceType, err)
	}
	return url, nil
}

func firstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
