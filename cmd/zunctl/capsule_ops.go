package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

// The commands on one of a capsule's containers, named as in the
// template: the project's extension /v1/capsules/{id}/containers/{name}/...
// (docs/capsules.md). logs is in capsule.go.

func newCapsuleExecCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exec [flags] CAPSULE CONTAINER [--] COMMAND [ARG...]",
		Short: "Run a command in a capsule's running container",
		Long: `Run COMMAND in one of a capsule's running containers, named as in the
template, wait for it, print its output (stdout and stderr together) and exit
with its exit status, as "zunctl exec" does for a container.

Options go before CAPSULE; everything after CONTAINER is the command.`,
		Example: `  zunctl capsule exec demo web -- ls -l /site
  zunctl capsule exec demo probe wget -qO- localhost:8080`,
		Args: minArgs("CAPSULE", "CONTAINER", "COMMAND"),
		RunE: func(cmd *cobra.Command, args []string) error {
			command := afterDash(args[2:])
			if len(command) == 0 {
				return usagef("missing COMMAND")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			res, err := c.CapsuleExecute(cmd.Context(), args[0], args[1], api.QuoteCommand(command...))
			if err != nil {
				return err
			}
			return printExec(a.out(), res)
		},
	}
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func newCapsuleTopCommand(a *app) *cobra.Command {
	var psArgs []string
	cmd := &cobra.Command{
		Use:   "top [flags] CAPSULE CONTAINER",
		Short: "List the processes of a capsule's container",
		Long: `List the processes running in one of a capsule's containers, named as in the
template, as ps shows them on its host (ps -ef unless --pid gives other ps
options).`,
		Example: "  zunctl capsule top demo web",
		Args:    exactArgs("CAPSULE", "CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			top, err := c.CapsuleTop(cmd.Context(), args[0], args[1], strings.Join(psArgs, " "))
			if err != nil {
				return err
			}
			return printTop(a.out(), top)
		},
	}
	cmd.Flags().StringArrayVar(&psArgs, "pid", nil, "options of ps (`PS_ARGS`), such as aux; repeat to add more")
	return cmd
}

func newCapsuleStatsCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "stats [flags] CAPSULE CONTAINER",
		Short: "Show the resource usage of a capsule's container",
		Long: `Show the current CPU, memory, block I/O and network usage of one of a
capsule's containers, named as in the template, as "zunctl stats" shows a
container's.`,
		Example: "  zunctl capsule stats demo web",
		Args:    exactArgs("CAPSULE", "CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			st, err := c.CapsuleStats(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			return printStats(a.out(), st)
		},
	}
}
