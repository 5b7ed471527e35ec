package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/zun-go/zun/api"
)

// The image store commands: upload, download, store-list, store-show and
// store-delete speak the image store's API (a part of Glance's v2) at its
// own endpoint.

// imageStore returns a client of the image store. Its endpoint is
// --image-endpoint, else ZUN_IMAGE_ENDPOINT, else the catalog's "image"
// service when zunctl logs in through identity, else the one the embedded
// service publishes beside the container endpoint.
func (a *app) imageStore() (*api.Glance, error) {
	cfg, err := a.conn.config(a.getenv, a.stderr)
	if err != nil {
		return nil, err
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, usageError{err}
	}
	endpoint := firstSet(a.imageEndpoint, a.getenv(envImageEndpoint))
	if endpoint == "" {
		if pw, ok := cfg.Auth.(*api.Password); ok {
			if endpoint, err = catalogEndpoint(pw, "image"); err != nil {
				return nil, fmt.Errorf("%w (set --image-endpoint or %s)", err, envImageEndpoint)
			}
		} else {
			endpoint = api.ImageEndpoint(c.Endpoint())
		}
	}
	g, err := c.Glance(endpoint)
	if err != nil {
		return nil, usageError{err}
	}
	a.imageURL = g.Endpoint()
	return g, nil
}

// findStoreImage returns the ID of the store's image ident: ident itself
// when it is a UUID, else the ID of the one image named so.
func findStoreImage(ctx context.Context, g *api.Glance, ident string) (string, error) {
	if uuid.Validate(ident) == nil {
		return ident, nil
	}
	ims, err := g.ListAllImages(ctx, api.GlanceListOptions{Name: ident})
	if err != nil {
		return "", err
	}
	switch len(ims) {
	case 0:
		return "", fmt.Errorf("no image named %q in the image store", ident)
	case 1:
		return ims[0].ID, nil
	}
	ids := make([]string, len(ims))
	for i, im := range ims {
		ids[i] = im.ID
	}
	return "", fmt.Errorf("%d images are named %q; give an ID: %s", len(ims), ident, strings.Join(ids, ", "))
}

// The visibilities Glance knows.
var visibilities = []string{"private", "public", "community", "shared"}

func newImageUploadCommand(a *app) *cobra.Command {
	req := api.NewGlanceImage{}
	cmd := &cobra.Command{
		Use:   "upload [flags] FILE",
		Short: "Upload an image file to the image store",
		Long: `Create an image named --name in the image store and upload FILE as its data,
for containers a "docker save" tarball, with a progress bar on stderr. Then
print the image: its ID, name, status (active), size and MD5 checksum.

If the upload fails, the image created for it is deleted again.`,
		Example: `  docker save busybox:1.36 -o busybox.tar
  zunctl image upload --name busybox --tag 1.36 busybox.tar`,
		Args: exactArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Name == "" {
				return usagef("missing --name: name the image")
			}
			if !slices.Contains(visibilities, req.Visibility) {
				return usagef("--visibility %q: want %s", req.Visibility, strings.Join(visibilities, ", "))
			}
			f, err := os.Open(args[0])
			if err != nil {
				return usageError{err}
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			if fi.IsDir() {
				return usagef("%s is a directory", args[0])
			}
			size := fi.Size()
			if !fi.Mode().IsRegular() {
				size = -1 // a pipe or a device: sent chunked
			}
			g, err := a.imageStore()
			if err != nil {
				return err
			}
			im, err := uploadImage(cmd.Context(), g, req, f, size, a.stderr)
			if err != nil {
				return err
			}
			out := a.out()
			if out.json {
				return out.JSON(im)
			}
			return printFields(out.w, []field{
				{"id", im.ID}, {"name", im.Name}, {"status", im.Status}, {"size", sizeField(im.Size)}, {"checksum", im.Checksum},
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&req.Name, "name", "", "image `NAME` (required)")
	fs.StringArrayVar(&req.Tags, "tag", nil, "a `TAG` of the image; repeat for several")
	fs.StringVar(&req.Visibility, "visibility", "private", "who may use the image, `VISIBILITY`: private, public, community or shared")
	fs.StringVar(&req.ContainerFormat, "container-format", "docker", "container `FORMAT` of the file")
	fs.StringVar(&req.DiskFormat, "disk-format", "raw", "disk `FORMAT` of the file")
	return cmd
}

// uploadImage creates the image, uploads f (size bytes, -1 if unknown)
// with a progress bar on w, and returns the image as the store has it
// then. An image whose upload failed is deleted.
func uploadImage(ctx context.Context, g *api.Glance, req api.NewGlanceImage, f *os.File, size int64, w io.Writer) (*api.GlanceImage, error) {
	im, err := g.CreateImage(ctx, req)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(f.Name())
	bar := newProgress(w, "upload "+name, size)
	if err := g.UploadImage(ctx, im.ID, io.TeeReader(f, bar), size); err != nil {
		bar.Stop()
		// Delete even when interrupted, but not for ever.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if derr := g.DeleteImage(cctx, im.ID); derr != nil {
			return nil, fmt.Errorf("upload %s into image %s (left queued, its deletion failed: %v): %w", name, im.ID, derr, err)
		}
		return nil, fmt.Errorf("upload %s into image %s (deleted again): %w", name, im.ID, err)
	}
	bar.Finish()
	return g.GetImage(ctx, im.ID)
}

func newImageDownloadCommand(a *app) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "download [flags] IMAGE -o FILE",
		Short: "Download an image of the image store to a file",
		Long: `Write the data of IMAGE, an ID or the name of exactly one image of the image
store, to FILE, with a progress bar on stderr, and check it against the MD5
checksum the store sends. If the data does not match, or the download
fails, FILE is removed and zunctl exits with status 1.`,
		Example: `  zunctl image download busybox -o busybox.tar
  docker load -i busybox.tar`,
		Args: exactArgs("IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return usagef("missing -o FILE: name the file to write")
			}
			g, err := a.imageStore()
			if err != nil {
				return err
			}
			res, err := downloadImage(cmd.Context(), g, args[0], file, a.stderr)
			if err != nil {
				return err
			}
			out := a.out()
			if out.json {
				return out.JSON(res)
			}
			check := "verified"
			if !res.Verified {
				check = "not checked: the image store sent no checksum"
			}
			out.Messagef("Saved image %s to %s: %s, MD5 %s (%s).", res.ID, res.File, humanBytes(res.Size), res.Checksum, check)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "o", "", "`FILE` to write (required)")
	return cmd
}

// downloaded is what download did; its JSON form is the --json output.
type downloaded struct {
	ID       string `json:"id"`
	File     string `json:"file"`
	Size     int64  `json:"size"`
	Checksum string `json:"checksum"` // MD5, hex
	Verified bool   `json:"verified"` // against the store's checksum
}

// downloadImage writes the data of the store's image ident to file, with a
// progress bar on w. The file is removed unless all went well.
func downloadImage(ctx context.Context, g *api.Glance, ident, file string, w io.Writer) (res *downloaded, err error) {
	id, err := findStoreImage(ctx, g, ident)
	if err != nil {
		return nil, err
	}
	data, err := g.DownloadImage(ctx, id)
	if err != nil {
		return nil, err
	}
	defer data.Close()
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(file)
		}
	}()
	bar := newProgress(w, "download "+ident, data.Size)
	sum := md5.New()
	n, err := io.Copy(io.MultiWriter(f, sum, bar), data)
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		bar.Stop()
		return nil, fmt.Errorf("download image %s: %w", ident, err)
	}
	bar.Finish()
	res = &downloaded{ID: id, File: file, Size: n, Checksum: hex.EncodeToString(sum.Sum(nil)), Verified: data.Checksum != ""}
	if res.Verified && res.Checksum != data.Checksum {
		return nil, fmt.Errorf("download image %s: checksum mismatch: the data's MD5 is %s, the image store says %s; %s removed", ident, res.Checksum, data.Checksum, file)
	}
	return res, nil
}

func newStoreListCommand(a *app) *cobra.Command {
	var opts api.GlanceListOptions
	cmd := &cobra.Command{
		Use:   "store-list [flags]",
		Short: "List the images of the image store",
		Long: `List the images of the image store that you may use (your project's, and
public, community or shared ones), every page of them, as a table of ID,
NAME, STATUS, VISIBILITY, SIZE and TAGS.`,
		Example: `  zunctl image store-list
  zunctl image store-list --name busybox`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := a.imageStore()
			if err != nil {
				return err
			}
			ims, err := g.ListAllImages(cmd.Context(), opts)
			if err != nil {
				return err
			}
			out := a.out()
			if out.json {
				if ims == nil {
					ims = []api.GlanceImage{}
				}
				return out.JSON(ims)
			}
			t := newTable(out.w, "ID", "NAME", "STATUS", "VISIBILITY", "SIZE", "TAGS")
			for _, im := range ims {
				size := ""
				if im.Size != nil {
					size = humanBytes(*im.Size)
				}
				t.Row(im.ID, im.Name, im.Status, im.Visibility, size, strings.Join(im.Tags, ", "))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "only the images of this `NAME`")
	return cmd
}

func newStoreShowCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "store-show [flags] IMAGE",
		Short: "Show an image of the image store",
		Long: `Show every field of an image of the image store, by ID or by name, as a
FIELD/VALUE table; its other properties follow its own fields.`,
		Example: "  zunctl image store-show busybox",
		Args:    exactArgs("IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := a.imageStore()
			if err != nil {
				return err
			}
			id, err := findStoreImage(cmd.Context(), g, args[0])
			if err != nil {
				return err
			}
			im, err := g.GetImage(cmd.Context(), id)
			if err != nil {
				return err
			}
			out := a.out()
			if out.json {
				return out.JSON(im)
			}
			fields, err := objectFields(im, "self", "file", "schema")
			if err != nil {
				return err
			}
			return printFields(out.w, fields)
		},
	}
}

func newStoreDeleteCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "store-delete [flags] IMAGE...",
		Short:   "Delete images of the image store",
		Long:    "Delete images of the image store, by ID or by name, with their data.",
		Example: "  zunctl image store-delete busybox",
		Args:    minArgs("IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := a.imageStore()
			if err != nil {
				return err
			}
			ctx, out := cmd.Context(), a.out()
			return forEach(ctx, a.stderr, args, func(ident string) error {
				id, err := findStoreImage(ctx, g, ident)
				if err != nil {
					return err
				}
				if err := g.DeleteImage(ctx, id); err != nil {
					return err
				}
				out.Messagef("Image %s deleted from the image store.", ident)
				return nil
			})
		},
	}
}

// sizeField renders a size in bytes for a FIELD/VALUE table; "" if
// unknown.
func sizeField(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}
