package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

func newRunCommand(a *app) *cobra.Command {
	var (
		f    createFlags
		wait bool
	)
	cmd := &cobra.Command{
		Use:   "run " + createArgsUse,
		Short: "Create a container and start it",
		Long: `Create a container from IMAGE, optionally with COMMAND replacing the image's
default command, start it once created, and print it. The service works in
the background: the container is Creating, then Running, or Error with a
reason.

With --wait, zunctl follows the container (progress on stderr) until it is
Running, Stopped (its command ended), Error or Deleted, and prints that final
state, within 100 ms of the change (it asks every 50 ms); it exits with
status 1 and the reason if the container ends in Error.

Options go before IMAGE; everything after IMAGE is the command. zunctl does
not attach to the container: -i and -t only configure it.`,
		Example: `  zunctl run --name web -m 256 -e TZ=UTC --wait nginx
  zunctl run --restart on-failure:3 busybox sh -c 'date; sleep 3600'
  zunctl run --wait --auto-remove busybox echo hello`,
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
			ct, err := c.CreateContainer(cmd.Context(), req, true)
			if err != nil {
				return err
			}
			if !wait {
				return printContainer(a.out(), ct)
			}
			final, err := waitForContainer(cmd.Context(), c, ct.UUID, a.pollInterval, a.stderr)
			if err != nil {
				return err
			}
			if err := printContainer(a.out(), final); err != nil {
				return err
			}
			if final.Status == "Error" {
				return fmt.Errorf("container %s failed: %s", final.Name, orDash(final.StatusReason))
			}
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false)
	f.add(cmd.Flags())
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the container is Running, Stopped or Error, and print that state")
	return cmd
}

// settled are the statuses run --wait stops at.
var settled = map[string]bool{"Running": true, "Stopped": true, "Error": true, "Deleted": true}

// waitForContainer polls a container until its status settles, telling
// progress each time its status or task changes.
func waitForContainer(ctx context.Context, c *api.Client, uuid string, every time.Duration, progress io.Writer) (*api.Container, error) {
	last := ""
	for {
		ct, err := c.GetContainer(ctx, uuid)
		if err != nil {
			return nil, err
		}
		state := ct.Status
		if ct.TaskState != "" {
			state += " (" + ct.TaskState + ")"
		}
		if state != last {
			fmt.Fprintf(progress, "container %s: %s\n", ct.Name, state)
			last = state
		}
		if settled[ct.Status] {
			return ct, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(every):
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
