// Command zunctl is the command-line client of the container service. It
// is built only on the public Go client in package api, as any other
// program of the service's users would be.
//
// Exit status: 0 on success, 1 when the service refused or failed a
// request (the message is the server's), 2 for a wrong command line; exec
// exits with the status of the command it ran; 130 when interrupted.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

// version is the release of zunctl, set at build time with
// -ldflags "-X main.version=...".
var version = ""

func clientVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := &app{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, pollInterval: api.PollInterval}
	code := a.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs zunctl with args and returns its exit status.
func (a *app) run(ctx context.Context, args []string) int {
	root := newRootCommand(a)
	root.SetArgs(args)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	var (
		code  exitCode
		usage usageError
	)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &usage):
		fmt.Fprintf(a.stderr, "error: %v\nRun '%s --help' for usage.\n", err, cmd.CommandPath())
		return 2
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(a.stderr, "error: interrupted")
		return 130
	}
	fmt.Fprintf(a.stderr, "error: %v\n", err)
	var (
		netErr  *url.Error
		certErr *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &certErr):
		fmt.Fprintln(a.stderr, "The server's certificate is not trusted: set OS_CACERT or --os-cacert to the PEM file of the CA that signed it (DATA/tls/ca.pem of zund --dev --tls).")
	case errors.As(err, &netErr) && a.imageURL != "" && strings.HasPrefix(netErr.URL, a.imageURL):
		fmt.Fprintf(a.stderr, "Is the image store running at %s? Set --image-endpoint or %s.\n", a.imageURL, envImageEndpoint)
	case errors.As(err, &netErr):
		fmt.Fprintf(a.stderr, "Is the container service running at %s? Set --endpoint or %s.\n", a.conn.value("endpoint", envEndpoint, a.getenv), envEndpoint)
	}
	return 1
}

func newVersionCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version [flags]",
		Short: "Show the versions of zunctl and of the service's API",
		Long: `Show zunctl's release and the API microversions it speaks, then ask the
service which microversions it speaks (from the version document at the
root of the endpoint, which needs no token).`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return printVersions(cmd.Context(), c, a.out())
		},
	}
}

// versionInfo is what version prints; its JSON form is the --json output.
type versionInfo struct {
	ClientVersion    string    `json:"client_version"`
	ClientMinVersion string    `json:"client_min_version"`
	ClientMaxVersion string    `json:"client_max_version"`
	APIVersion       string    `json:"api_version"`
	Endpoint         string    `json:"endpoint"`
	Server           *api.Root `json:"server"`
}

// printVersions prints the client's versions, then the server's; the
// client's are printed even when the server cannot be reached.
func printVersions(ctx context.Context, c *api.Client, out output) error {
	info := versionInfo{
		ClientVersion:    clientVersion(),
		ClientMinVersion: api.MinVersion.String(),
		ClientMaxVersion: api.MaxVersion.String(),
		APIVersion:       c.Version().String(),
		Endpoint:         c.Endpoint(),
	}
	root, err := c.Versions(ctx)
	info.Server = root
	if out.json {
		if err != nil {
			return err
		}
		return out.JSON(info)
	}
	fields := []field{
		{"client_version", info.ClientVersion},
		{"client_api_versions", info.ClientMinVersion + " - " + info.ClientMaxVersion},
		{"requested_api_version", info.APIVersion},
		{"endpoint", info.Endpoint},
	}
	if root != nil {
		for _, v := range root.Versions {
			fields = append(fields, field{"server_api_versions", v.MinVersion + " - " + v.MaxVersion + " (" + v.ID + ", " + v.Status + ")"})
		}
	}
	if perr := printFields(out.w, fields); perr != nil {
		return perr
	}
	return err
}
