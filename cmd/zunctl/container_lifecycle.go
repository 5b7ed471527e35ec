package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

// The lifecycle commands take several containers. The service accepts each
// request and carries it out in the background; "zunctl show" and
// "zunctl actions list" tell how it went.

// eachContainer applies do to each container, printing an acceptance line
// for each success and an error line for each failure; it fails if any
// did.
func eachContainer(ctx context.Context, out output, errw io.Writer, verb string, idents []string, do func(ident string) error) error {
	return forEach(ctx, errw, idents, func(id string) error {
		if err := do(id); err != nil {
			return err
		}
		out.Messagef("Request to %s container %s has been accepted.", verb, id)
		return nil
	})
}

// lifecycleCommand builds a command that applies one action to several
// containers.
func lifecycleCommand(a *app, use, verb, short, long string, do func(ctx context.Context, c *api.Client, ident string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use + " [flags] CONTAINER...",
		Short: short,
		Long:  long,
		Args:  minArgs("CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return eachContainer(ctx, a.out(), a.stderr, verb, args, func(id string) error { return do(ctx, c, id) })
		},
	}
}

func newStartCommand(a *app) *cobra.Command {
	return lifecycleCommand(a, "start", "start", "Start containers",
		"Start created or stopped containers.",
		func(ctx context.Context, c *api.Client, id string) error { return c.Start(ctx, id) })
}

// timeoutFlag is an optional -t/--timeout in seconds; value stays nil
// unless it is given.
type timeoutFlag struct {
	seconds int
	value   *int
}

func (f *timeoutFlag) add(cmd *cobra.Command) {
	cmd.Flags().IntVarP(&f.seconds, "timeout", "t", 0, "`SECONDS` to wait for a container to stop before killing it (default: the service's, 10)")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if !cmd.Flags().Changed("timeout") {
			return nil
		}
		if f.seconds < 0 {
			return usagef("--timeout %d: want a number of seconds", f.seconds)
		}
		f.value = &f.seconds
		return nil
	}
}

func newStopCommand(a *app) *cobra.Command {
	var t timeoutFlag
	cmd := lifecycleCommand(a, "stop", "stop", "Stop running containers",
		"Stop running containers: send SIGTERM, then SIGKILL after the timeout.",
		func(ctx context.Context, c *api.Client, id string) error { return c.Stop(ctx, id, t.value) })
	t.add(cmd)
	return cmd
}

func newRestartCommand(a *app) *cobra.Command {
	var t timeoutFlag
	cmd := lifecycleCommand(a, "restart", "restart", "Restart containers",
		"Restart containers: stop each (SIGTERM, then SIGKILL after the timeout) and start it again.",
		func(ctx context.Context, c *api.Client, id string) error { return c.Reboot(ctx, id, t.value) })
	t.add(cmd)
	return cmd
}

func newPauseCommand(a *app) *cobra.Command {
	return lifecycleCommand(a, "pause", "pause", "Pause running containers",
		"Freeze all processes of running containers.",
		func(ctx context.Context, c *api.Client, id string) error { return c.Pause(ctx, id) })
}

func newUnpauseCommand(a *app) *cobra.Command {
	return lifecycleCommand(a, "unpause", "unpause", "Unpause paused containers",
		"Thaw the processes of paused containers.",
		func(ctx context.Context, c *api.Client, id string) error { return c.Unpause(ctx, id) })
}

func newKillCommand(a *app) *cobra.Command {
	var signal string
	cmd := lifecycleCommand(a, "kill", "kill", "Send a signal to containers",
		"Send a signal to the main process of running containers (default SIGKILL).",
		func(ctx context.Context, c *api.Client, id string) error { return c.Kill(ctx, id, signal) })
	cmd.Example = "  zunctl kill web\n  zunctl kill -s HUP web"
	cmd.Flags().StringVarP(&signal, "signal", "s", "", "`SIGNAL` name or number, such as SIGHUP, hup or 1")
	return cmd
}

func newDeleteCommand(a *app) *cobra.Command {
	var opts api.DeleteOptions
	cmd := lifecycleCommand(a, "delete", "delete", "Delete containers",
		`Delete containers. A running container must be stopped first, or use
--stop; --force deletes whatever the state (admin only).`,
		func(ctx context.Context, c *api.Client, id string) error { return c.DeleteContainer(ctx, id, opts) })
	cmd.Aliases = []string{"rm"}
	cmd.Example = "  zunctl delete web db\n  zunctl delete --stop web"
	fs := cmd.Flags()
	fs.BoolVarP(&opts.Force, "force", "f", false, "delete whatever the state (admin only)")
	fs.BoolVarP(&opts.Stop, "stop", "s", false, "stop a running container before deleting it")
	fs.BoolVar(&opts.AllProjects, "all-projects", false, "find the containers in any project (admin only)")
	return cmd
}
