package main

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/zun-go/zun/api"
)

// Defaults of the connection settings.
const (
	defaultEndpoint  = "http://127.0.0.1:9517/v1"
	envEndpoint      = "ZUN_ENDPOINT"
	envToken         = "ZUN_TOKEN"
	envImageEndpoint = "ZUN_IMAGE_ENDPOINT"
)

// app is one run of zunctl: its streams, environment and global options.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// pollInterval paces run --wait and the capsule commands' --wait
	// (api.PollInterval, 50 ms: they return within 100 ms of the status
	// change) and, at least a second apart, image pull.
	pollInterval time.Duration

	conn    connection
	jsonOut bool
	// imageEndpoint is --image-endpoint; imageURL is the image store's
	// endpoint once resolved (see imageStore), for the hint of a network
	// error.
	imageEndpoint string
	imageURL      string
}

// connection says how to reach the service. Its flags fall back to the
// environment, then to defaults, in connection.config. Without a token,
// an identity login (OS_CLOUD, or OS_AUTH_URL, OS_USERNAME, ...; see
// auth.go) supplies tokens and, through the catalog, the endpoint.
type connection struct {
	flags      *pflag.FlagSet
	endpoint   string
	token      string
	apiVersion string
	cacert     string
	insecure   bool
}

func (c *connection) addFlags(fs *pflag.FlagSet) {
	c.flags = fs
	fs.StringVar(&c.endpoint, "endpoint", defaultEndpoint,
		"container service endpoint `URL`, with its /v1 (env "+envEndpoint+")")
	fs.StringVar(&c.token, "token", "",
		"`TOKEN` sent as X-Auth-Token (env "+envToken+"); without one, zunctl logs in with OS_CLOUD or the OS_* variables of an openrc")
	fs.StringVar(&c.cacert, "os-cacert", "",
		"PEM `FILE` of the CA certificates trusted to sign the servers' certificates (env OS_CACERT; cacert in clouds.yaml)")
	fs.BoolVar(&c.insecure, "insecure", false,
		"do not verify the servers' TLS certificates (env OS_INSECURE; verify: false in clouds.yaml); development only")
	fs.StringVar(&c.apiVersion, "api-version", api.MaxVersion.String(),
		"API microversion `X.Y` to request, "+api.MinVersion.String()+" to "+api.MaxVersion.String()+", or latest")
}

// value is the flag if given, else the environment variable if set, else
// the flag's default.
func (c *connection) value(flag, env string, getenv func(string) string) string {
	f := c.flags.Lookup(flag)
	if f.Changed {
		return f.Value.String()
	}
	if v := getenv(env); v != "" {
		return v
	}
	return f.DefValue
}

// config resolves the settings into a client configuration; the login
// and the API calls share one HTTP transport with the TLS settings. It
// warns on stderr when server certificates are not verified.
func (c *connection) config(getenv func(string) string, stderr io.Writer) (api.Config, error) {
	v, err := api.ParseVersion(c.apiVersion)
	if err != nil {
		return api.Config{}, usagef("--api-version: %v", err)
	}
	if v.Less(api.MinVersion) || api.MaxVersion.Less(v) {
		return api.Config{}, usagef("--api-version %s: zunctl speaks %s to %s", v, api.MinVersion, api.MaxVersion)
	}
	cfg := api.Config{
		Endpoint:  c.value("endpoint", envEndpoint, getenv),
		Token:     c.value("token", envToken, getenv),
		Version:   v,
		UserAgent: "zunctl/" + clientVersion(),
	}
	pw, sec, err := login(getenv)
	if err != nil {
		return api.Config{}, err
	}
	if c.flags.Lookup("os-cacert").Changed {
		sec.CAFile = c.cacert
	}
	if c.flags.Lookup("insecure").Changed {
		sec.Insecure = c.insecure
	}
	tr, err := sec.Transport()
	if err != nil {
		return api.Config{}, usageError{err}
	}
	if sec.Insecure {
		fmt.Fprintln(stderr, "warning: TLS certificates are not verified (--insecure, OS_INSECURE or verify: false): anyone on the path can read and change the traffic, tokens and passwords included")
	}
	cfg.HTTPClient = &http.Client{Transport: tr}
	if cfg.Token != "" || pw == nil {
		return cfg, nil
	}
	pw.HTTPClient = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	cfg.Auth = pw
	if !c.flags.Lookup("endpoint").Changed && getenv(envEndpoint) == "" {
		if cfg.Endpoint, err = catalogEndpoint(pw, "container"); err != nil {
			return api.Config{}, err
		}
	}
	return cfg, nil
}

// client returns a client for the resolved settings.
func (a *app) client() (*api.Client, error) {
	cfg, err := a.conn.config(a.getenv, a.stderr)
	if err != nil {
		return nil, err
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

func (a *app) out() output { return output{w: a.stdout, json: a.jsonOut} }

// newRootCommand builds the zunctl command tree.
func newRootCommand(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "zunctl",
		Short: "Manage containers of an OpenStack Zun container service",
		Long: `zunctl manages application containers through the container service's API
(OpenStack Zun API v1, microversions ` + api.MinVersion.String() + ` to ` + api.MaxVersion.String() + `).

Containers are named by UUID or by name. Results print as aligned tables;
--json prints the API objects as JSON instead. Errors print on stderr as
"error: <message>"; the exit status is 1 when the service refused or failed
a request and 2 when the command line is wrong.`,
		Example: `  zunctl run --name web -m 256 --wait nginx
  zunctl list --status Running
  zunctl logs -f web
  zunctl exec web -- cat /etc/os-release
  zunctl delete --stop web`,
		Args:          noSubcommand,
		RunE:          func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	a.conn.addFlags(pf)
	pf.BoolVar(&a.jsonOut, "json", false, "print the API objects as indented JSON instead of tables")

	root.AddGroup(
		&cobra.Group{ID: "containers", Title: "Container commands:"},
		&cobra.Group{ID: "capsules", Title: "Capsule commands:"},
		&cobra.Group{ID: "inspect", Title: "Inspection commands:"},
		&cobra.Group{ID: "images", Title: "Image commands:"},
		&cobra.Group{ID: "quotas", Title: "Quota commands:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("containers",
		newRunCommand(a), newCreateCommand(a), newStartCommand(a), newStopCommand(a),
		newRestartCommand(a), newPauseCommand(a), newUnpauseCommand(a), newKillCommand(a),
		newDeleteCommand(a), newUpdateCommand(a), newRenameCommand(a), newExecCommand(a),
		newCommitCommand(a))
	add("inspect",
		newListCommand(a), newShowCommand(a), newLogsCommand(a), newStatsCommand(a),
		newTopCommand(a), newActionsCommand(a), newVersionCommand(a))
	add("capsules", newCapsuleCommand(a))
	add("images", newImageCommand(a))
	add("quotas", newQuotaCommand(a), newQuotaClassCommand(a))
	return root
}
