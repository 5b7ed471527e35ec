package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

// The capsule commands: a capsule is a group of containers sharing one
// network namespace, volumes and host, made from a template
// (docs/capsules.md).

func newCapsuleCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "capsule",
		Short: "Manage capsules (groups of containers, like pods) and their containers",
		Long: `A capsule is a group of containers that share one network namespace (its
addresses, and localhost), its volumes and one host, like a Kubernetes pod.
It is made from a template in YAML or JSON, as "zun capsule-create -f" takes
it: kind, metadata (name, labels, annotations), spec (restartPolicy,
initContainers, containers, volumes). See docs/capsules.md for the keys.

A capsule is Creating, then Running when all its containers run (after its
init containers ran to their end, one after the other), Stopped when all
have stopped, or Error with a reason naming the container that failed.

Capsules are named by UUID or by name; a capsule's containers by their name
in the template (shown by "capsule show"), for logs, exec, top and stats.`,
		Example: `  zunctl capsule create -f demo.yaml --wait
  zunctl capsule list
  zunctl capsule logs demo web
  zunctl capsule delete --wait demo`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCapsuleCreateCommand(a), newCapsuleListCommand(a), newCapsuleShowCommand(a),
		newCapsuleDeleteCommand(a), newCapsuleLogsCommand(a), newCapsuleExecCommand(a),
		newCapsuleTopCommand(a), newCapsuleStatsCommand(a))
	return cmd
}

func newCapsuleCreateCommand(a *app) *cobra.Command {
	var (
		file string
		wait bool
	)
	cmd := &cobra.Command{
		Use:   "create [flags] -f FILE",
		Short: "Create a capsule from a template",
		Long: `Create a capsule from the template in FILE (YAML or JSON) and print it. The
service works in the background: the capsule is Creating, then Running, or
Error with a reason. A template the service refuses is not created; the
message names the bad field, such as spec.containers[1].image.

With --wait, zunctl follows the capsule (its status on stderr) until it is
Running, Stopped (all its containers ended) or Error, and prints it then,
within 100 ms of the change (it asks every 50 ms); it exits with status 1
and the reason if the capsule ends in Error.`,
		Example: `  zunctl capsule create -f demo.yaml
  zunctl capsule create --wait -f demo.json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return usagef("missing -f FILE: the capsule's template")
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return usageError{err}
			}
			tpl, err := api.ReadTemplate(data)
			if err != nil {
				return usagef("%s: %v", file, err)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			cp, err := c.CreateCapsule(ctx, tpl)
			if err != nil {
				return err
			}
			if !wait {
				return printCapsule(a.out(), cp)
			}
			final, err := c.WaitCapsule(ctx, cp.UUID, a.waitOptions(), "Running", "Stopped")
			if err != nil {
				return err
			}
			if err := printCapsule(a.out(), final); err != nil {
				return err
			}
			if final.Status == "Error" {
				return fmt.Errorf("capsule %s failed: %s", capsuleName(final), orDash(final.StatusReason))
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&file, "file", "f", "", "the capsule's template: a YAML or JSON `FILE`")
	fs.BoolVar(&wait, "wait", false, "wait until the capsule is Running, Stopped or Error, and print it then")
	return cmd
}

// waitOptions paces a wait at the app's interval, telling each status on
// stderr.
func (a *app) waitOptions() api.WaitOptions {
	return api.WaitOptions{Interval: a.pollInterval, Progress: func(cp *api.Capsule) {
		line := "capsule " + capsuleName(cp) + ": " + cp.Status
		if cp.StatusReason != "" {
			line += " (" + cp.StatusReason + ")"
		}
		fmt.Fprintln(a.stderr, line)
	}}
}

func capsuleName(cp *api.Capsule) string {
	if cp.Name != "" {
		return cp.Name
	}
	return cp.UUID
}

func newCapsuleListCommand(a *app) *cobra.Command {
	var opts api.CapsuleListOptions
	cmd := &cobra.Command{
		Use:     "list [flags]",
		Aliases: []string{"ls"},
		Short:   "List capsules",
		Long: `List the capsules of your project (of every project with --all-projects, for
admins), as a table of UUID, NAME, STATUS, CONTAINERS (their names in the
template, init containers first) and ADDRESSES.

Without --limit, zunctl fetches every page. With --limit it prints one page
and, when there are more, says on stderr which --marker continues the list.`,
		Example: `  zunctl capsule list
  zunctl capsule list --sort-key created_at --sort-dir desc`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.SortDir != "" && opts.SortDir != "asc" && opts.SortDir != "desc" {
				return usagef("--sort-dir %q: want asc or desc", opts.SortDir)
			}
			if opts.Limit < 0 {
				return usagef("--limit %d: want a positive number", opts.Limit)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			return listCapsules(cmd.Context(), c, a.out(), a.stderr, opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&opts.AllProjects, "all-projects", false, "list the capsules of every project (admin only)")
	fs.IntVar(&opts.Limit, "limit", 0, "print at most `N` capsules (one page)")
	fs.StringVar(&opts.Marker, "marker", "", "list the capsules after this `UUID`, the last of the previous page")
	fs.StringVar(&opts.SortKey, "sort-key", "", "`FIELD` to sort by, such as name or created_at")
	fs.StringVar(&opts.SortDir, "sort-dir", "", "sort `DIRECTION`: asc or desc")
	return cmd
}

// listCapsules prints the capsules opts selects: every page, or with a
// limit one page, followed on hints by the marker of the next.
func listCapsules(ctx context.Context, c *api.Client, out output, hints io.Writer, opts api.CapsuleListOptions) error {
	var (
		cps  []api.Capsule
		more bool
	)
	if opts.Limit > 0 {
		page, err := c.ListCapsules(ctx, opts)
		if err != nil {
			return err
		}
		cps, more = page.Capsules, page.Next != "" && len(page.Capsules) > 0
	} else {
		var err error
		if cps, err = c.ListAllCapsules(ctx, opts); err != nil {
			return err
		}
	}
	if out.json {
		if cps == nil {
			cps = []api.Capsule{}
		}
		return out.JSON(cps)
	}
	t := newTable(out.w, "UUID", "NAME", "STATUS", "CONTAINERS", "ADDRESSES")
	for _, cp := range cps {
		var names []string
		for _, ct := range append(cp.InitContainers, cp.Containers...) {
			names = append(names, memberName(&cp, ct))
		}
		t.Row(cp.UUID, cp.Name, cp.Status, strings.Join(names, ", "), addresses(api.Container{Addresses: cp.Addresses}))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(hints, "More capsules follow: add --marker %s\n", cps[len(cps)-1].UUID)
	}
	return nil
}

// memberName is the name in the template of a capsule's container: its
// record is named capsule-<capsule name, or uuid>-<template name>.
func memberName(cp *api.Capsule, ct api.Container) string {
	for _, owner := range []string{cp.Name, cp.UUID} {
		if owner == "" {
			continue
		}
		if name, ok := strings.CutPrefix(ct.Name, "capsule-"+owner+"-"); ok && name != "" {
			return name
		}
	}
	return ct.Name
}

func newCapsuleShowCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show [flags] CAPSULE",
		Short: "Show a capsule's details",
		Long: `Show every field of a capsule as a FIELD/VALUE table; its init containers and
containers are listed by their names in the template, with their status and
record's UUID. --json prints the whole API object, the containers' views
included.`,
		Example: `  zunctl capsule show demo
  zunctl capsule show --json demo`,
		Args: exactArgs("CAPSULE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			cp, err := c.GetCapsule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printCapsule(a.out(), cp)
		},
	}
}

// printCapsule prints a capsule as a FIELD/VALUE table, its links left
// out and one row for each of its containers.
func printCapsule(out output, cp *api.Capsule) error {
	if out.json {
		return out.JSON(cp)
	}
	fields, err := objectFields(cp, "links", "init_containers", "containers")
	if err != nil {
		return err
	}
	for _, m := range []struct {
		field string
		list  []api.Container
	}{{"init_container", cp.InitContainers}, {"container", cp.Containers}} {
		for _, ct := range m.list {
			value := memberName(cp, ct) + ": " + ct.Status
			if ct.StatusReason != "" {
				value += " (" + ct.StatusReason + ")"
			}
			fields = append(fields, field{m.field, value + ", " + ct.UUID})
		}
	}
	return printFields(out.w, fields)
}

func newCapsuleDeleteCommand(a *app) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:     "delete [flags] CAPSULE...",
		Aliases: []string{"rm"},
		Short:   "Delete capsules",
		Long: `Delete capsules, whatever their state: their containers (stopped first),
their network namespace and addresses, the volumes they made with
autoRemove, and their claims and quota. The service works in the
background: the capsule is Deleting, then gone.

With --wait, zunctl waits until each capsule is gone (it asks every 50 ms)
and says so; it exits with status 1 if a deletion fails.`,
		Example: `  zunctl capsule delete demo
  zunctl capsule delete --wait demo other`,
		Args: minArgs("CAPSULE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			out := a.out()
			return forEach(ctx, a.stderr, args, func(id string) error {
				if err := c.DeleteCapsule(ctx, id); err != nil {
					return err
				}
				out.Messagef("Request to delete capsule %s has been accepted.", id)
				if !wait {
					return nil
				}
				if err := c.WaitCapsuleGone(ctx, id, a.waitOptions()); err != nil {
					return err
				}
				out.Messagef("Capsule %s is deleted.", id)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until each capsule is gone")
	return cmd
}

func newCapsuleLogsCommand(a *app) *cobra.Command {
	var (
		opts   api.LogOptions
		follow bool
	)
	cmd := &cobra.Command{
		Use:   "logs [flags] CAPSULE CONTAINER",
		Short: "Print the logs of a capsule's container",
		Long: `Print what one of a capsule's containers (or init containers), named as in
the template, wrote on stdout and stderr (both unless one is chosen).

With -f, keep printing new lines as the container writes them, until it
stops or you interrupt zunctl (Ctrl-C).`,
		Example: `  zunctl capsule logs demo web
  zunctl capsule logs --tail 20 demo seed
  zunctl capsule logs -f demo web`,
		Args: exactArgs("CAPSULE", "CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return showLogs(ctx, a, follow,
				func() (string, error) { return c.CapsuleLogs(ctx, args[0], args[1], opts) },
				func() (io.ReadCloser, error) { return c.FollowCapsuleLogs(ctx, args[0], args[1], opts) })
		},
	}
	logFlags(cmd.Flags(), &opts, &follow)
	return cmd
}
