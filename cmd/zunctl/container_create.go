package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/zun-go/zun/api"
)

// createFlags are the options of run and create, as zun run has them.
type createFlags struct {
	name, memory, workdir, pullPolicy, restart string
	hostname, runtime, entrypoint, zone        string
	imageDriver, registry, host                string
	cpu                                        float64
	disk                                       int
	env, labels, hints, securityGroups, nets   []string
	interactive, tty, autoRemove, privileged   bool
	autoHeal                                   bool
}

func (f *createFlags) add(fs *pflag.FlagSet) {
	fs.StringVarP(&f.name, "name", "n", "", "`NAME` of the container (default: a generated one)")
	fs.Float64Var(&f.cpu, "cpu", 0, "number of virtual `CPUs`, such as 0.5")
	fs.StringVarP(&f.memory, "memory", "m", "", "memory limit, in `MiB`")
	fs.IntVar(&f.disk, "disk", 0, "disk size, in `GiB`, where the host supports disk quotas")
	fs.StringArrayVarP(&f.env, "environment", "e", nil, "environment variable `KEY=VALUE`; repeat for several")
	fs.StringVar(&f.workdir, "workdir", "", "working `DIR` of the command")
	fs.StringArrayVar(&f.labels, "label", nil, "label `KEY=VALUE`; repeat for several")
	fs.StringVar(&f.pullPolicy, "image-pull-policy", "", "when to pull the image, `POLICY`: ifnotpresent, always or never (admin only)")
	fs.StringVar(&f.imageDriver, "image-driver", "", "image `DRIVER`: docker (from a registry) or glance")
	fs.StringVar(&f.registry, "registry", "", "name or UUID of the image `REGISTRY` to pull from (API 1.31+)")
	fs.BoolVarP(&f.interactive, "interactive", "i", false, "keep STDIN open")
	fs.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-TTY (API 1.36+)")
	fs.StringVar(&f.restart, "restart", "", "restart `POLICY`: no, on-failure[:MAX_RETRIES], always or unless-stopped")
	fs.BoolVar(&f.autoRemove, "auto-remove", false, "delete the container when it exits (API 1.3+)")
	fs.BoolVar(&f.autoHeal, "auto-heal", false, "re-create the container if its runtime container disappears")
	fs.StringVar(&f.hostname, "hostname", "", "`HOSTNAME` inside the container (API 1.9+)")
	fs.StringVar(&f.runtime, "runtime", "", "OCI `RUNTIME`, such as runc (admin only, API 1.5+)")
	fs.BoolVar(&f.privileged, "privileged", false, "give the container extended privileges (API 1.21+; denied by default policy)")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "`ENTRYPOINT` replacing the image's, as shell words (API 1.40+)")
	fs.StringArrayVar(&f.hints, "hint", nil, "scheduler hint `KEY=VALUE`; repeat for several")
	fs.StringVar(&f.zone, "availability-zone", "", "availability `ZONE` to place the container in")
	fs.StringVar(&f.host, "host", "", "compute `HOST` to place the container on (admin only, API 1.39+)")
	fs.StringArrayVar(&f.securityGroups, "security-group", nil, "security `GROUP` name or ID; repeat for several")
	fs.StringArrayVar(&f.nets, "net", nil, "network to attach: `SPEC` is network=NET or port=PORT, optionally with ,v4-fixed-ip=IP,v6-fixed-ip=IP; repeat for several")
}

// request builds the create request from the image, command and flags.
func (f *createFlags) request(image string, command []string) (api.CreateContainer, error) {
	req := api.CreateContainer{
		Image: image, Name: f.name, Command: command, CPU: f.cpu, Memory: f.memory, Disk: f.disk,
		Workdir: f.workdir, ImageDriver: f.imageDriver, Registry: f.registry,
		Interactive: f.interactive, TTY: f.tty, AutoRemove: f.autoRemove, AutoHeal: f.autoHeal,
		Hostname: f.hostname, Runtime: f.runtime, Privileged: f.privileged,
		AvailabilityZone: f.zone, Host: f.host, SecurityGroups: f.securityGroups,
	}
	var err error
	if req.Environment, err = keyValues("environment", f.env); err != nil {
		return req, err
	}
	if req.Labels, err = keyValues("label", f.labels); err != nil {
		return req, err
	}
	if req.Hints, err = keyValues("hint", f.hints); err != nil {
		return req, err
	}
	if f.pullPolicy != "" {
		switch p := strings.ToLower(f.pullPolicy); p {
		case "ifnotpresent", "always", "never":
			req.ImagePullPolicy = p
		default:
			return req, usagef("--image-pull-policy %q: want ifnotpresent, always or never", f.pullPolicy)
		}
	}
	if f.restart != "" {
		if f.autoRemove {
			return req, usagef("--restart and --auto-remove exclude each other")
		}
		if req.RestartPolicy, err = restartPolicy(f.restart); err != nil {
			return req, err
		}
	}
	if f.entrypoint != "" {
		if req.Entrypoint, err = splitWords(f.entrypoint); err != nil {
			return req, usagef("--entrypoint: %v", err)
		}
	}
	for _, n := range f.nets {
		net, err := parseNet(n)
		if err != nil {
			return req, err
		}
		req.Nets = append(req.Nets, net)
	}
	return req, nil
}

// parseNet parses network=NET|port=PORT[,v4-fixed-ip=IP][,v6-fixed-ip=IP].
func parseNet(s string) (api.Network, error) {
	var n api.Network
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		var dst *string
		switch k {
		case "network":
			dst = &n.Network
		case "port":
			dst = &n.Port
		case "v4-fixed-ip":
			dst = &n.V4FixedIP
		case "v6-fixed-ip":
			dst = &n.V6FixedIP
		}
		if dst == nil || v == "" || *dst != "" {
			return n, usagef("--net %q: want network=NET or port=PORT, then optional v4-fixed-ip=IP, v6-fixed-ip=IP", s)
		}
		*dst = v
	}
	if (n.Network == "") == (n.Port == "") {
		return n, usagef("--net %q: give exactly one of network= and port=", s)
	}
	return n, nil
}

const createArgsUse = "[flags] IMAGE [COMMAND [ARG...]]"

func newCreateCommand(a *app) *cobra.Command {
	var f createFlags
	cmd := &cobra.Command{
		Use:   "create " + createArgsUse,
		Short: "Create a container without starting it",
		Long: `Create a container from IMAGE, optionally with COMMAND replacing the image's
default command, and print it. The service creates it in the background:
its status goes from Creating to Created (or Error, with a reason); start it
with "zunctl start".

Options go before IMAGE; everything after IMAGE is the command.`,
		Example: `  zunctl create --name db -e POSTGRES_PASSWORD=secret postgres:16
  zunctl create --name job busybox sh -c 'echo hello; sleep 60'`,
		Args: minArgs("IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request(args[0], afterDash(args[1:]))
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ct, err := c.CreateContainer(cmd.Context(), req, false)
			if err != nil {
				return err
			}
			return printContainer(a.out(), ct)
		},
	}
	cmd.Flags().SetInterspersed(false)
	f.add(cmd.Flags())
	return cmd
}
