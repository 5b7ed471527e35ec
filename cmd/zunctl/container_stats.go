package main

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

func newStatsCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "stats [flags] CONTAINER",
		Short: "Show a container's resource usage",
		Long: `Show a container's current CPU, memory, block I/O and network usage, as the
service measures them (memory in MiB, I/O in bytes as read/write and
received/sent).`,
		Example: "  zunctl stats web",
		Args:    exactArgs("CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			st, err := c.Stats(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printStats(a.out(), st)
		},
	}
}

// statsOrder is the order of Zun's stats keys; others follow, sorted.
var statsOrder = []string{api.StatsContainer, api.StatsCPUPct, api.StatsMemUsage,
	api.StatsMemLimit, api.StatsMemPct, api.StatsBlockIO, api.StatsNetIO}

func printStats(out output, st api.Stats) error {
	if out.json {
		return out.JSON(st)
	}
	keys := slices.Clone(statsOrder)
	for _, k := range slices.Sorted(maps.Keys(st)) {
		if !slices.Contains(statsOrder, k) {
			keys = append(keys, k)
		}
	}
	var fields []field
	for _, k := range keys {
		v, ok := st[k]
		if !ok {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fields = append(fields, field{k, renderValue(raw)})
	}
	return printFields(out.w, fields)
}

func newTopCommand(a *app) *cobra.Command {
	var psArgs []string
	cmd := &cobra.Command{
		Use:   "top [flags] CONTAINER",
		Short: "List a container's processes",
		Long: `List the processes running in a container, as ps shows them on its host
(ps -ef unless --pid gives other ps options).`,
		Example: "  zunctl top web\n  zunctl top --pid aux web",
		Args:    exactArgs("CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			top, err := c.Top(cmd.Context(), args[0], strings.Join(psArgs, " "))
			if err != nil {
				return err
			}
			return printTop(a.out(), top)
		},
	}
	cmd.Flags().StringArrayVar(&psArgs, "pid", nil, "options of ps (`PS_ARGS`), such as aux; repeat to add more")
	return cmd
}

// printTop prints a container's processes as a table under ps's titles.
func printTop(out output, top *api.Top) error {
	if out.json {
		return out.JSON(top)
	}
	t := newTable(out.w, top.Titles...)
	for _, p := range top.Processes {
		t.Row(p...)
	}
	return t.Flush()
}
