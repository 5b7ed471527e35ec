package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
// The TLS settings come from the same places (OS_CACERT, OS_CERT, OS_KEY,
// OS_INSECURE; cacert, cert, key and verify in clouds.yaml) and hold for
// the login and the API calls alike, with a token of ZUN_TOKEN too.

// login returns the identity login of the environment, or nil when it
// names none, and the TLS settings of the cloud: OS_CACERT, OS_CERT,
// OS_KEY and OS_INSECURE, over the cacert, cert, key and verify of the
// cloud in clouds.yaml.
func login(getenv func(string) string) (*api.Password, api.TLS, error) {
	var (
		pw  *api.Password
		sec api.TLS
	)
	if cloud := getenv("OS_CLOUD"); cloud != "" {
		var err error
		if pw, sec, err = cloudLogin(cloud, getenv); err != nil {
			return nil, api.TLS{}, err
		}
	} else if getenv("OS_AUTH_URL") != "" {
		pw = &api.Password{
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
		}
	}
	sec.CAFile = firstSet(getenv("OS_CACERT"), sec.CAFile)
	sec.CertFile = firstSet(getenv("OS_CERT"), sec.CertFile)
	sec.KeyFile = firstSet(getenv("OS_KEY"), sec.KeyFile)
	if v := getenv("OS_INSECURE"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, api.TLS{}, usagef("OS_INSECURE=%s: want true or false", v)
		}
		sec.Insecure = on
	}
	return pw, sec, nil
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
		CACert     string `json:"cacert"`
		Cert       string `json:"cert"`
		Key        string `json:"key"`
		// Verify false accepts any server certificate; a string is a CA
		// file, as in the OpenStack clients.
		Verify any `json:"verify"`
	} `json:"clouds"`
}

// cloudLogin reads cloud from the first clouds.yaml found where the
// OpenStack clients look: OS_CLIENT_CONFIG_FILE, the current directory,
// ~/.config/openstack, /etc/openstack.
func cloudLogin(cloud string, getenv func(string) string) (*api.Password, api.TLS, error) {
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
			return nil, api.TLS{}, usagef("OS_CLOUD=%s: %v", cloud, err)
		}
		var f cloudsFile
		if err := yaml.Unmarshal(b, &f); err != nil {
			return nil, api.TLS{}, usagef("OS_CLOUD=%s: %s: %v", cloud, p, err)
		}
		c, ok := f.Clouds[cloud]
		if !ok {
			return nil, api.TLS{}, usagef("OS_CLOUD=%s: no such cloud in %s", cloud, p)
		}
		sec := api.TLS{CAFile: c.CACert, CertFile: c.Cert, KeyFile: c.Key}
		switch v := c.Verify.(type) {
		case nil:
		case bool:
			sec.Insecure = !v
		case string:
			sec.CAFile = firstSet(sec.CAFile, v)
		default:
			return nil, api.TLS{}, usagef("OS_CLOUD=%s: %s: verify: want true, false or a CA file", cloud, p)
		}
		a := c.Auth
		return &api.Password{
			AuthURL: a.AuthURL, Username: a.Username, UserID: a.UserID, Password: a.Password,
			ProjectName: a.ProjectName, ProjectID: a.ProjectID,
			UserDomainName: a.UserDomainName, UserDomainID: a.UserDomainID,
			ProjectDomainName: a.ProjectDomainName, ProjectDomainID: a.ProjectDomainID,
			Region: firstSet(getenv("OS_REGION_NAME"), c.RegionName), Interface: c.Interface,
		}, sec, nil
	}
	return nil, api.TLS{}, usagef("OS_CLOUD=%s: no clouds.yaml found (set OS_CLIENT_CONFIG_FILE)", cloud)
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
