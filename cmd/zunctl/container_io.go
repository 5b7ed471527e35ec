package main

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/zun-go/zun/api"
)

func newLogsCommand(a *app) *cobra.Command {
	var (
		opts   api.LogOptions
		follow bool
	)
	cmd := &cobra.Command{
		Use:   "logs [flags] CONTAINER",
		Short: "Print a container's logs",
		Long: `Print what a container wrote on stdout and stderr (both unless one is chosen).

With -f, keep printing new lines as the container writes them, until it
stops or you interrupt zunctl (Ctrl-C).`,
		Example: `  zunctl logs web
  zunctl logs --tail 100 --timestamps web
  zunctl logs -f --since 1700000000 web`,
		Args: exactArgs("CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return showLogs(ctx, a, follow,
				func() (string, error) { return c.Logs(ctx, args[0], opts) },
				func() (io.ReadCloser, error) { return c.FollowLogs(ctx, args[0], opts) })
		},
	}
	logFlags(cmd.Flags(), &opts, &follow)
	return cmd
}

// logFlags adds the flags of a logs command: which stream, timestamps,
// tail, since, and follow.
func logFlags(fs *pflag.FlagSet, opts *api.LogOptions, follow *bool) {
	fs.BoolVar(&opts.Stdout, "stdout", false, "only the container's stdout")
	fs.BoolVar(&opts.Stderr, "stderr", false, "only the container's stderr")
	fs.BoolVarP(&opts.Timestamps, "timestamps", "t", false, "prefix each line with its time")
	fs.StringVar(&opts.Tail, "tail", "", "number of `LINES` to show from the end, or \"all\" (default all)")
	fs.StringVar(&opts.Since, "since", "", "only lines since `TIME`, Unix seconds or \"YYYY-MM-DD HH:MM:SS,mmm\"")
	fs.BoolVarP(follow, "follow", "f", false, "keep printing new lines until the container stops")
}

// showLogs prints the logs so far (get), with --json as a JSON string;
// with follow, it copies their stream (stream) until the container stops
// or the user interrupts zunctl.
func showLogs(ctx context.Context, a *app, follow bool, get func() (string, error), stream func() (io.ReadCloser, error)) error {
	if follow {
		rc, err := stream()
		if err != nil {
			return err
		}
		return copyStream(ctx, a.stdout, rc)
	}
	logs, err := get()
	if err != nil {
		return err
	}
	out := a.out()
	if out.json {
		return out.JSON(logs)
	}
	_, err = io.WriteString(out.w, logs)
	return err
}

// copyStream copies a log stream to w and closes it; an interruption
// ends it without error.
func copyStream(ctx context.Context, w io.Writer, rc io.ReadCloser) error {
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil && !errors.Is(ctx.Err(), context.Canceled) {
		return err
	}
	return nil
}

func newExecCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exec [flags] CONTAINER [--] COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Long: `Run COMMAND in a running container, wait for it, print its output (stdout
and stderr together) and exit with its exit status.

The command is not run by a shell: use sh -c '...' for pipes and variables.
The service gives up on commands that run longer than its exec timeout.
Interactive sessions (-i) are not supported yet.

Options go before CONTAINER; everything after it is the command.`,
		Example: `  zunctl exec web -- ls -l /usr/share/nginx/html
  zunctl exec web sh -c 'echo $HOSTNAME'`,
		Args: minArgs("CONTAINER", "COMMAND"),
		RunE: func(cmd *cobra.Command, args []string) error {
			command := afterDash(args[1:])
			if len(command) == 0 {
				return usagef("missing COMMAND")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			return execInContainer(cmd.Context(), c, a.out(), args[0], command)
		},
	}
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// execInContainer runs command in a container, prints its output and returns its
// exit status as an exitCode when it is not zero.
func execInContainer(ctx context.Context, c *api.Client, out output, ident string, command []string) error {
	res, err := c.Execute(ctx, ident, api.QuoteCommand(command...))
	if err != nil {
		return err
	}
	return printExec(out, res)
}

// printExec prints what a command run by exec wrote and returns its exit
// status as an exitCode when it is not zero.
func printExec(out output, res *api.ExecResult) error {
	if out.json {
		if err := out.JSON(res); err != nil {
			return err
		}
	} else if res.Output != "" {
		text := res.Output
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		if _, err := io.WriteString(out.w, text); err != nil {
			return err
		}
	}
	if res.ExitCode != nil && *res.ExitCode != 0 {
		return exitCode(*res.ExitCode)
	}
	return nil
}
