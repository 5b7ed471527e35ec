package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

func newActionsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "actions",
		Short: "Show the requests made on a container",
		Long: `Every request that changes a container (create, start, stop, delete...) is
recorded as an action, with the events of its steps on the compute host.
Actions tell why a container ended in Error, or who stopped it.`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newActionsListCommand(a), newActionsShowCommand(a))
	return cmd
}

func newActionsListCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list [flags] CONTAINER",
		Aliases: []string{"ls"},
		Short:   "List a container's actions",
		Long: `List the actions of a container, newest first: REQUEST ID, ACTION,
START TIME, FINISH TIME and MESSAGE (set when it failed).`,
		Example: "  zunctl actions list web",
		Args:    exactArgs("CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return listActions(cmd.Context(), c, a.out(), args[0])
		},
	}
}

func listActions(ctx context.Context, c *api.Client, out output, ident string) error {
	actions, err := c.ListActions(ctx, ident)
	if err != nil {
		return err
	}
	if out.json {
		if actions == nil {
			actions = []api.ContainerAction{}
		}
		return out.JSON(actions)
	}
	t := newTable(out.w, "REQUEST ID", "ACTION", "START TIME", "FINISH TIME", "MESSAGE")
	for _, ac := range actions {
		t.Row(ac.RequestID, ac.Action, ac.StartTime, ac.FinishTime, ac.Message)
	}
	return t.Flush()
}

func newActionsShowCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show [flags] CONTAINER REQUEST_ID",
		Short: "Show one action of a container with its events",
		Long: `Show one action of a container, then its events: each step the service took,
when, and its result. A failed step's traceback follows the table.`,
		Example: "  zunctl actions show web req-3f1c0d9e-6b1a-4a7e-9d2b-0c5e8f7a1b2c",
		Args:    exactArgs("CONTAINER", "REQUEST_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			return showAction(cmd.Context(), c, a.out(), args[0], args[1])
		},
	}
}

func showAction(ctx context.Context, c *api.Client, out output, ident, requestID string) error {
	ac, err := c.GetAction(ctx, ident, requestID)
	if err != nil {
		return err
	}
	if out.json {
		return out.JSON(ac)
	}
	fields, err := objectFields(ac, "events")
	if err != nil {
		return err
	}
	if err := printFields(out.w, fields); err != nil {
		return err
	}
	fmt.Fprintln(out.w)
	t := newTable(out.w, "EVENT", "START TIME", "FINISH TIME", "RESULT")
	for _, ev := range ac.Events {
		t.Row(ev.Event, ev.StartTime, ev.FinishTime, ev.Result)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	for _, ev := range ac.Events {
		if ev.Traceback != "" {
			fmt.Fprintf(out.w, "\nTraceback of %s:\n%s\n", ev.Event, ev.Traceback)
		}
	}
	return nil
}
