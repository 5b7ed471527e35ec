package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

func newListCommand(a *app) *cobra.Command {
	var (
		opts    api.ListOptions
		filters struct{ name, status, image, host string }
	)
	cmd := &cobra.Command{
		Use:     "list [flags]",
		Aliases: []string{"ls"},
		Short:   "List containers",
		Long: `List the containers of your project (of every project with --all-projects,
for admins), as a table of UUID, NAME, IMAGE, STATUS, TASK STATE, ADDRESSES
and PORTS.

Without --limit, zunctl fetches every page. With --limit it prints one page
and, when there are more, says on stderr which --marker continues the list.`,
		Example: `  zunctl list
  zunctl list --status Running --sort-key created_at --sort-dir desc
  zunctl list --limit 50 --marker 4f0c9a3e-0d5b-4f55-9a4e-9d5a2f0c1b11`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.SortDir != "" && opts.SortDir != "asc" && opts.SortDir != "desc" {
				return usagef("--sort-dir %q: want asc or desc", opts.SortDir)
			}
			if opts.Limit < 0 {
				return usagef("--limit %d: want a positive number", opts.Limit)
			}
			opts.Filters = map[string]string{}
			for k, v := range map[string]string{"name": filters.name, "status": filters.status, "image": filters.image, "host": filters.host} {
				if v != "" {
					opts.Filters[k] = v
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			return listContainers(cmd.Context(), c, a.out(), a.stderr, opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&opts.AllProjects, "all-projects", false, "list the containers of every project (admin only)")
	fs.IntVar(&opts.Limit, "limit", 0, "print at most `N` containers (one page)")
	fs.StringVar(&opts.Marker, "marker", "", "list the containers after this `UUID`, the last of the previous page")
	fs.StringVar(&opts.SortKey, "sort-key", "", "container `FIELD` to sort by, such as name or created_at")
	fs.StringVar(&opts.SortDir, "sort-dir", "", "sort `DIRECTION`: asc or desc")
	fs.StringVar(&filters.name, "name", "", "only containers with this `NAME`")
	fs.StringVar(&filters.status, "status", "", "only containers in this `STATUS`, such as Running or Error")
	fs.StringVar(&filters.image, "image", "", "only containers of this `IMAGE`")
	fs.StringVar(&filters.host, "host", "", "only containers on this compute `HOST` (admin only)")
	return cmd
}

// listContainers prints the containers opts selects: every page, or with
// a limit one page, followed on hints by the marker of the next.
func listContainers(ctx context.Context, c *api.Client, out output, hints io.Writer, opts api.ListOptions) error {
	var (
		cts  []api.Container
		more bool
	)
	if opts.Limit > 0 {
		page, err := c.ListContainers(ctx, opts)
		if err != nil {
			return err
		}
		cts, more = page.Containers, page.Next != "" && len(page.Containers) > 0
	} else {
		var err error
		if cts, err = c.ListAllContainers(ctx, opts); err != nil {
			return err
		}
	}
	if err := printContainers(out, cts); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(hints, "More containers follow: add --marker %s\n", cts[len(cts)-1].UUID)
	}
	return nil
}

// printContainers prints containers as a table, one a row.
func printContainers(out output, cts []api.Container) error {
	if out.json {
		if cts == nil {
			cts = []api.Container{}
		}
		return out.JSON(cts)
	}
	t := newTable(out.w, "UUID", "NAME", "IMAGE", "STATUS", "TASK STATE", "ADDRESSES", "PORTS")
	for _, ct := range cts {
		t.Row(ct.UUID, ct.Name, ct.Image, ct.Status, ct.TaskState, addresses(ct), ports(ct))
	}
	return t.Flush()
}

// addresses lists a container's IP addresses, by network.
func addresses(ct api.Container) string {
	var out []string
	for _, n := range slices.Sorted(maps.Keys(ct.Addresses)) {
		for _, a := range ct.Addresses[n] {
			out = append(out, a.Addr)
		}
	}
	return strings.Join(out, ", ")
}

func ports(ct api.Container) string {
	out := make([]string, len(ct.Ports))
	for i, p := range ct.Ports {
		out[i] = strconv.Itoa(p)
	}
	return strings.Join(out, ", ")
}

func newShowCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show [flags] CONTAINER",
		Short: "Show a container's details",
		Long: `Show every field of a container as a FIELD/VALUE table. Maps of strings
print as KEY=VALUE pairs, other nested values as compact JSON; --json prints
the whole API object.`,
		Example: `  zunctl show web
  zunctl show --json web`,
		Args: exactArgs("CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ct, err := c.GetContainer(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printContainer(a.out(), ct)
		},
	}
}

// printContainer prints one container as a FIELD/VALUE table, its links
// left out.
func printContainer(out output, ct *api.Container) error {
	if out.json {
		return out.JSON(ct)
	}
	fields, err := objectFields(ct, "links")
	if err != nil {
		return err
	}
	return printFields(out.w, fields)
}
