package main

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/zun-go/zun/api"
)

func newQuotaCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quota",
		Short: "Show and change a project's quotas",
		Long: `A project's quotas limit how many containers it may hold and how many CPUs,
MiB of memory and GiB of disk they may ask for together; -1 is unlimited. A
project without its own limits gets the "default" quota class's, else the
service's configured defaults. Members read their own project's quotas;
only admins change them.`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newQuotaShowCommand(a), newQuotaUpdateCommand(a), newQuotaDeleteCommand(a), newQuotaDefaultsCommand(a))
	return cmd
}

func newQuotaShowCommand(a *app) *cobra.Command {
	var usages bool
	cmd := &cobra.Command{
		Use:   "show [flags] PROJECT_ID",
		Short: "Show a project's quotas",
		Long: `Show a project's limit of each resource; with --usages, what its containers
hold too. Every container counts, whatever its status, with its CPU, memory
and disk.`,
		Example: "  zunctl quota show --usages 7f3e1c2a9b8d4e5f8a6b0c1d2e3f4a5b",
		Args:    exactArgs("PROJECT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if usages {
				return showQuotaUsage(cmd.Context(), c, a.out(), args[0])
			}
			q, err := c.GetQuota(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printQuota(a.out(), q)
		},
	}
	cmd.Flags().BoolVar(&usages, "usages", false, "show what is in use too")
	return cmd
}

func showQuotaUsage(ctx context.Context, c *api.Client, out output, project string) error {
	u, err := c.GetQuotaUsage(ctx, project)
	if err != nil {
		return err
	}
	if out.json {
		return out.JSON(u)
	}
	t := newTable(out.w, "RESOURCE", "LIMIT", "IN USE")
	for _, r := range []struct {
		name string
		use  api.QuotaUse
	}{{"containers", u.Containers}, {"cpu", u.CPU}, {"memory", u.Memory}, {"disk", u.Disk}} {
		t.Row(r.name, strconv.FormatInt(r.use.Limit, 10), strconv.FormatFloat(r.use.InUse, 'f', -1, 64))
	}
	return t.Flush()
}

// quotaFlags are the flags that set limits, for quota and quota-class
// update.
type quotaFlags struct {
	containers, cpu, memory, disk int64
}

func (f *quotaFlags) add(fs *pflag.FlagSet) {
	fs.Int64Var(&f.containers, "containers", 0, "number of containers (-1: unlimited)")
	fs.Int64Var(&f.cpu, "cpu", 0, "number of virtual CPUs (-1: unlimited)")
	fs.Int64Var(&f.memory, "memory", 0, "memory, in `MiB` (-1: unlimited)")
	fs.Int64Var(&f.disk, "disk", 0, "disk, in `GiB` (-1: unlimited)")
}

// request returns the limits the command line set.
func (f *quotaFlags) request(fs *pflag.FlagSet) (api.QuotaUpdate, error) {
	var req api.QuotaUpdate
	for _, x := range []struct {
		name string
		v    int64
		dst  **int64
	}{{"containers", f.containers, &req.Containers}, {"cpu", f.cpu, &req.CPU}, {"memory", f.memory, &req.Memory}, {"disk", f.disk, &req.Disk}} {
		if !fs.Changed(x.name) {
			continue
		}
		if x.v < -1 {
			return req, usagef("--%s %d: want 0 or more, or -1 for unlimited", x.name, x.v)
		}
		v := x.v
		*x.dst = &v
	}
	if req == (api.QuotaUpdate{}) {
		return req, usagef("nothing to update: give --containers, --cpu, --memory or --disk")
	}
	return req, nil
}

func newQuotaUpdateCommand(a *app) *cobra.Command {
	var f quotaFlags
	cmd := &cobra.Command{
		Use:   "update [flags] PROJECT_ID",
		Short: "Set some of a project's quotas (admins)",
		Long: `Set the given limits of a project, keep the others, and print them all. A
limit below what the project already holds is allowed: nothing is removed,
but new containers and resizes that need more are refused.`,
		Example: "  zunctl quota update --containers 10 --memory -1 7f3e1c2a9b8d4e5f8a6b0c1d2e3f4a5b",
		Args:    exactArgs("PROJECT_ID"),
	}
	cmd.RunE = showQuota(a, func(c *api.Client, ctx context.Context, arg string) (*api.Quota, error) {
		req, err := f.request(cmd.Flags())
		if err != nil {
			return nil, err
		}
		return c.UpdateQuota(ctx, arg, req)
	})
	f.add(cmd.Flags())
	return cmd
}

func newQuotaDeleteCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "delete [flags] PROJECT_ID",
		Short:   "Give a project the default quotas again (admins)",
		Long:    "Remove a project's own limits, so that it gets the defaults again.",
		Example: "  zunctl quota delete 7f3e1c2a9b8d4e5f8a6b0c1d2e3f4a5b",
		Args:    exactArgs("PROJECT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.DeleteQuota(cmd.Context(), args[0]); err != nil {
				return err
			}
			a.out().Messagef("Quotas of project %s reset to the defaults.", args[0])
			return nil
		},
	}
}

func newQuotaDefaultsCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "defaults [flags] PROJECT_ID",
		Short:   "Show the default quotas",
		Long:    `Show the limits a project without its own gets: the "default" quota class's, else the service's configured defaults.`,
		Example: "  zunctl quota defaults 7f3e1c2a9b8d4e5f8a6b0c1d2e3f4a5b",
		Args:    exactArgs("PROJECT_ID"),
		RunE:    showQuota(a, (*api.Client).QuotaDefaults),
	}
}

func newQuotaClassCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quota-class",
		Short: "Show and change quota classes (admins)",
		Long: `A quota class is a named set of limits. The class "default" gives every
project without its own limits its quotas; a resource the class does not set
has the service's configured default.`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newQuotaClassShowCommand(a), newQuotaClassUpdateCommand(a))
	return cmd
}

func newQuotaClassShowCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "show [flags] CLASS",
		Short:   "Show a quota class",
		Long:    "Show a quota class's limit of each resource.",
		Example: "  zunctl quota-class show default",
		Args:    exactArgs("CLASS"),
		RunE:    showQuota(a, (*api.Client).GetQuotaClass),
	}
}

func newQuotaClassUpdateCommand(a *app) *cobra.Command {
	var f quotaFlags
	cmd := &cobra.Command{
		Use:     "update [flags] CLASS",
		Short:   "Set some of a quota class's limits",
		Long:    "Set the given limits of a quota class, keep the others, and print them all.",
		Example: "  zunctl quota-class update --containers 20 --cpu 40 default",
		Args:    exactArgs("CLASS"),
	}
	cmd.RunE = showQuota(a, func(c *api.Client, ctx context.Context, arg string) (*api.Quota, error) {
		req, err := f.request(cmd.Flags())
		if err != nil {
			return nil, err
		}
		return c.UpdateQuotaClass(ctx, arg, req)
	})
	f.add(cmd.Flags())
	return cmd
}

// showQuota is the RunE of the commands that fetch or set limits and print
// them: it makes the client, calls fetch (a method expression such as
// (*api.Client).GetQuotaClass) with the command's argument and
// prints what comes back.
func showQuota(a *app, fetch func(c *api.Client, ctx context.Context, arg string) (*api.Quota, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		q, err := fetch(c, cmd.Context(), args[0])
		if err != nil {
			return err
		}
		return printQuota(a.out(), q)
	}
}

// printQuota prints limits as a RESOURCE / LIMIT table.
func printQuota(out output, q *api.Quota) error {
	if out.json {
		return out.JSON(q)
	}
	t := newTable(out.w, "RESOURCE", "LIMIT")
	for _, r := range []struct {
		name string
		v    int64
	}{{"containers", q.Containers}, {"cpu", q.CPU}, {"memory", q.Memory}, {"disk", q.Disk}} {
		t.Row(r.name, strconv.FormatInt(r.v, 10))
	}
	return t.Flush()
}
