package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

func newImageCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Pull images onto hosts; upload and download images of the image store",
		Long: `zunctl knows two kinds of images.

Host images are pulled onto one compute host through the container service's
images API (admins only, by default): pull, list, show and delete them.

The image store keeps image files, such as "docker save" tarballs, that you
upload; it speaks its own API, a part of OpenStack Glance's v2: upload,
download, store-list, store-show and store-delete. zunctl finds it at
--image-endpoint or ZUN_IMAGE_ENDPOINT; else, when it logs in through
identity (OS_CLOUD or OS_AUTH_URL...), at the catalog's "image" service;
else next to the container endpoint, with its /v1 replaced by /image.

Pulls, uploads and downloads show their progress on stderr: a bar redrawn
on a terminal, else a line at each quarter and one at the end.`,
		Example: `  zunctl image pull --host node-1 busybox:1.36
  zunctl image upload --name busybox --tag 1.36 busybox.tar
  zunctl image download busybox -o busybox.tar`,
		Args: noSubcommand,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&a.imageEndpoint, "image-endpoint", "",
		"image store endpoint `URL` (env "+envImageEndpoint+"; default: the catalog's image service, or the container endpoint with /image for /v1)")
	cmd.AddCommand(
		newImagePullCommand(a), newImageListCommand(a), newImageShowCommand(a), newImageDeleteCommand(a),
		newImageUploadCommand(a), newImageDownloadCommand(a),
		newStoreListCommand(a), newStoreShowCommand(a), newStoreDeleteCommand(a))
	return cmd
}

func newImagePullCommand(a *app) *cobra.Command {
	var (
		req    api.PullImage
		noWait bool
	)
	cmd := &cobra.Command{
		Use:   "pull [flags] REPO[:TAG]",
		Short: "Pull an image onto a compute host",
		Long: `Have a compute host pull REPO:TAG (TAG defaults to latest) from its registry,
follow the pull with a progress bar on stderr until the image is Pulled, and
print it. zunctl exits with status 1 and the reason if the pull ends in
Error; interrupting zunctl does not stop the pull.

--policy says when the host pulls: always (the service's default),
ifnotpresent (only when it lacks the image) or never (only record an image
it has). With --no-wait, zunctl prints the record, still Pulling, at once;
"zunctl image show" follows it.`,
		Example: `  zunctl image pull --host node-1 busybox:1.36
  zunctl image pull --host node-1 --policy ifnotpresent registry.example:5000/team/app:2`,
		Args: exactArgs("REPO[:TAG]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Host == "" {
				return usagef("missing --host: name the compute host to pull onto")
			}
			switch p := strings.ToLower(req.ImagePullPolicy); p {
			case "", "always", "ifnotpresent", "never":
				req.ImagePullPolicy = p
			default:
				return usagef("--policy %q: want always, ifnotpresent or never", req.ImagePullPolicy)
			}
			req.Repo = args[0]
			if !strings.Contains(req.Repo, "@") { // a digest is the service's to refuse
				req.Repo, req.Tag = splitRepoTag(args[0])
			}
			if req.Repo == "" {
				return usagef("missing REPO in %q", args[0])
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			im, err := c.PullImage(cmd.Context(), req)
			if err != nil {
				return err
			}
			if noWait {
				return printImage(a.out(), im)
			}
			// A pull takes seconds to minutes: asked about every second.
			final, err := waitForPull(cmd.Context(), c, im, max(a.pollInterval, time.Second), a.stderr)
			if err != nil {
				return err
			}
			if err := printImage(a.out(), final); err != nil {
				return err
			}
			if final.Status == api.ImageError {
				return fmt.Errorf("pull of %s on %s failed: %s", final.Ref(), final.Host, orDash(final.StatusReason))
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&req.Host, "host", "", "compute `HOST` to pull onto, by name or UUID (required)")
	fs.StringVar(&req.ImagePullPolicy, "policy", "", "when to pull, `POLICY`: always, ifnotpresent or never (default always)")
	fs.BoolVar(&noWait, "no-wait", false, "print the image at once instead of following the pull")
	return cmd
}

// waitForPull polls an image record until its pull ends, drawing the
// host's progress on w.
func waitForPull(ctx context.Context, c *api.Client, im *api.Image, every time.Duration, w io.Writer) (*api.Image, error) {
	fmt.Fprintf(w, "Pulling %s on %s (image %s)...\n", im.Ref(), im.Host, im.UUID)
	bar := newProgress(w, "pull "+im.Ref(), 0)
	for {
		switch im.Status {
		case api.ImagePulling:
		case api.ImagePulled:
			bar.Complete()
			return im, nil
		default:
			bar.Stop()
			return im, nil
		}
		if im.Progress != nil {
			bar.Set(im.Progress.Done, im.Progress.Total)
		}
		select {
		case <-ctx.Done():
			bar.Stop()
			return nil, ctx.Err()
		case <-time.After(every):
		}
		var err error
		if im, err = c.GetImage(ctx, im.UUID); err != nil {
			bar.Stop()
			return nil, err
		}
	}
}

func newImageListCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list [flags]",
		Aliases: []string{"ls"},
		Short:   "List the images pulled onto hosts",
		Long: `List the images pulled onto compute hosts through the images API, as a table
of UUID, REPO, TAG, HOST, STATUS (with the progress of a pull), SIZE and
IMAGE ID (shortened; "image show" has it whole).`,
		Example: "  zunctl image list",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ims, err := c.ListImages(cmd.Context())
			if err != nil {
				return err
			}
			return printImages(a.out(), ims)
		},
	}
}

// printImages prints host images as a table, one a row.
func printImages(out output, ims []api.Image) error {
	if out.json {
		if ims == nil {
			ims = []api.Image{}
		}
		return out.JSON(ims)
	}
	t := newTable(out.w, "UUID", "REPO", "TAG", "HOST", "STATUS", "SIZE", "IMAGE ID")
	for _, im := range ims {
		status := im.Status
		if p := im.Progress; p != nil && p.Total > 0 && im.Status == api.ImagePulling {
			status += fmt.Sprintf(" (%d%%)", percent(p.Done, p.Total))
		}
		size := ""
		if im.Size != nil {
			size = humanBytes(*im.Size)
		}
		t.Row(im.UUID, im.Repo, im.Tag, im.Host, status, size, shortImageID(im.ImageID))
	}
	return t.Flush()
}

// shortImageID shortens "sha256:<64 hex>" to its first 12 hex digits, as
// docker images does.
func shortImageID(id string) string {
	hex := strings.TrimPrefix(id, "sha256:")
	if len(hex) > 12 {
		return hex[:12]
	}
	return hex
}

func newImageShowCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show [flags] UUID",
		Short: "Show an image pulled onto a host",
		Long: `Show every field of a host image as a FIELD/VALUE table: while it is Pulling,
the bytes the host has of it (progress); once Pulled, its engine ID and size;
after an Error, the reason.`,
		Example: "  zunctl image show 3b6f1c9e-2a4d-4e8b-9c1f-5d7a8e0b2c41",
		Args:    exactArgs("UUID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			im, err := c.GetImage(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printImage(a.out(), im)
		},
	}
}

// printImage prints one host image as a FIELD/VALUE table, its links left
// out.
func printImage(out output, im *api.Image) error {
	if out.json {
		return out.JSON(im)
	}
	fields, err := objectFields(im, "links")
	if err != nil {
		return err
	}
	return printFields(out.w, fields)
}

func newImageDeleteCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "delete [flags] UUID...",
		Aliases: []string{"rm"},
		Short:   "Delete images from their hosts",
		Long: `Remove images from their hosts' engines, and their records. An image that a
container uses cannot be deleted; a record still Pulling is deleted at once.`,
		Example: "  zunctl image delete 3b6f1c9e-2a4d-4e8b-9c1f-5d7a8e0b2c41",
		Args:    minArgs("UUID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx, out := cmd.Context(), a.out()
			return forEach(ctx, a.stderr, args, func(id string) error {
				if err := c.DeleteImage(ctx, id); err != nil {
					return err
				}
				out.Messagef("Image %s deleted.", id)
				return nil
			})
		},
	}
}

// forEach applies do to each argument, printing an error line for each
// failure and going on; it fails if any did.
func forEach(ctx context.Context, errw io.Writer, idents []string, do func(ident string) error) error {
	failed := false
	for _, id := range idents {
		if err := do(id); err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(errw, "error: %v\n", err)
			failed = true
		}
	}
	if failed {
		return exitCode(1)
	}
	return nil
}
