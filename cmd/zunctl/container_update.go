package main

import (
	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

func newUpdateCommand(a *app) *cobra.Command {
	var (
		req      api.UpdateContainer
		autoHeal bool
	)
	cmd := &cobra.Command{
		Use:   "update [flags] CONTAINER",
		Short: "Change a container's name, CPU or memory",
		Long: `Change a container's name, CPU or memory limit, and print it. New CPU and
memory limits apply to the running container and count against your
project's quota.`,
		Example: `  zunctl update --cpu 2 --memory 1024 web
  zunctl update --name frontend web`,
		Args: exactArgs("CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs := cmd.Flags()
			if fs.Changed("auto-heal") {
				req.AutoHeal = &autoHeal
			}
			if req == (api.UpdateContainer{}) {
				return usagef("nothing to update: give --cpu, --memory, --name or --auto-heal")
			}
			if fs.Changed("cpu") && req.CPU <= 0 {
				return usagef("--cpu %v: want a positive number", req.CPU)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ct, err := c.UpdateContainer(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			return printContainer(a.out(), ct)
		},
	}
	fs := cmd.Flags()
	fs.Float64Var(&req.CPU, "cpu", 0, "number of virtual `CPUs`, such as 0.5")
	fs.StringVarP(&req.Memory, "memory", "m", "", "memory limit, in `MiB`")
	fs.StringVar(&req.Name, "name", "", "new `NAME`")
	fs.BoolVar(&autoHeal, "auto-heal", false, "re-create the container if its runtime container disappears (--auto-heal=false to stop)")
	return cmd
}

func newRenameCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "rename [flags] CONTAINER NEW_NAME",
		Short:   "Rename a container",
		Long:    "Give a container a new name, and print it.",
		Example: "  zunctl rename web frontend",
		Args:    exactArgs("CONTAINER", "NEW_NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ct, err := c.RenameContainer(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			return printContainer(a.out(), ct)
		},
	}
}

func newCommitCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "commit [flags] CONTAINER REPOSITORY[:TAG]",
		Short: "Make an image of a container",
		Long: `Make an image of a container's current file system, named REPOSITORY:TAG
(TAG defaults to latest), and print the new image's ID. A running container
is paused while its file system is copied; the upload finishes in the
background.`,
		Example: "  zunctl commit web myorg/web:snapshot-1",
		Args:    exactArgs("CONTAINER", "REPOSITORY[:TAG]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, tag := splitRepoTag(args[1])
			if repo == "" {
				return usagef("missing REPOSITORY in %q", args[1])
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			res, err := c.Commit(cmd.Context(), args[0], repo, tag)
			if err != nil {
				return err
			}
			out := a.out()
			if out.json {
				return out.JSON(res)
			}
			out.Messagef("Request to commit container %s has been accepted. The image is %s.", args[0], res.UUID)
			return nil
		},
	}
}
