package compute

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zun-go/zun/container"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// PullImage pulls image ref onto this host as policy says (the images
// API) and describes it; progress, when set, hears how far the pull has
// come if the runtime tells.
func (a *Agent) PullImage(ctx context.Context, ref string, policy driver.PullPolicy, progress func(driver.Progress)) (driver.ImageInfo, error) {
	im, ok := a.drv.(driver.ImageManager)
	if !ok {
		return driver.ImageInfo{}, errdefs.NotSupportedf("the %s runtime cannot manage images", a.drv.Name())
	}
	var err error
	if pp, ok := a.drv.(driver.ProgressPuller); ok && progress != nil {
		err = pp.PrepareImageProgress(ctx, ref, policy, driver.RegistryAuth{}, progress)
	} else {
		err = a.drv.PrepareImage(ctx, ref, policy)
	}
	if err != nil {
		return driver.ImageInfo{}, err
	}
	return im.InspectImage(ctx, ref)
}

// RemoveImage removes image ref from this host.
func (a *Agent) RemoveImage(ctx context.Context, ref string) error {
	im, ok := a.drv.(driver.ImageManager)
	if !ok {
		return errdefs.NotSupportedf("the %s runtime cannot manage images", a.drv.Name())
	}
	return im.RemoveImage(ctx, ref)
}

// ImageDriverGlance is the image driver of images in the image store.
const ImageDriverGlance = "glance"

// loadedImage is what a host remembers of an image-store image it loaded
// into its engine: StateDir/store-images/<id>.json.
type loadedImage struct {
	Ref      string `json:"ref"`       // what the tarball named, to run
	EngineID string `json:"engine_id"` // the engine's id of Ref when loaded
}

func (a *Agent) loadedPath(id string) string {
	return filepath.Join(a.cfg.StateDir, "store-images", id+".json")
}

// prepareStoreImage makes the image-store image of rec present in the
// engine and returns the reference to run. The store's data of an image
// never changes, so a host loads an image once and reuses it while its
// engine still has it (whatever the policy, except that "never" does not
// load at all); the download is checked against the store's md5.
func (a *Agent) prepareStoreImage(ctx context.Context, rec *container.Container, policy driver.PullPolicy) (string, error) {
	ar, ok := a.drv.(driver.ImageArchiver)
	im, iok := a.drv.(driver.ImageManager)
	if !ok || !iok {
		return "", errdefs.NotSupportedf("the %s runtime cannot load images of the image store", a.drv.Name())
	}
	info, _, err := a.cp.StoreImage(ctx, a.cfg.Host, rec.UUID, false)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", rec.Image, err)
	}
	if prev, err := a.readLoaded(info.ID); err == nil {
		if cur, err := im.InspectImage(ctx, prev.Ref); err == nil && cur.ID == prev.EngineID {
			return prev.Ref, nil
		}
	}
	if policy == driver.PullNever {
		return "", errdefs.NotFoundf("image %s is not loaded on this host, and the pull policy is never", rec.Image)
	}
	start := time.Now()
	_, data, err := a.cp.StoreImage(ctx, a.cfg.Host, rec.UUID, true)
	if err != nil {
		return "", fmt.Errorf("image %s: download: %w", rec.Image, err)
	}
	defer data.Close()
	sum := md5.New()
	tee := io.TeeReader(data, sum)
	refs, err := ar.LoadImage(ctx, tee)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", rec.Image, err)
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return "", fmt.Errorf("image %s: download: %w", rec.Image, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); info.Checksum != "" && got != info.Checksum {
		return "", fmt.Errorf("image %s: the download's md5 is %s, the image store's %s", rec.Image, got, info.Checksum)
	}
	ref := pickRef(refs, info.Name)
	loaded, err := im.InspectImage(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("image %s: loaded as %s: %w", rec.Image, ref, err)
	}
	if err := a.writeLoaded(info.ID, loadedImage{Ref: ref, EngineID: loaded.ID}); err != nil {
		a.logOf(ctx).Warn("remember a loaded image", "image", info.ID, "error", err)
	}
	a.logOf(ctx).Info("image loaded from the image store", "image", info.ID, "ref", ref, "bytes", info.Size,
		"duration_ms", time.Since(start).Milliseconds())
	return ref, nil
}

// pickRef chooses what to run of the references a tarball named: the one
// of the image's name if there is one, else the first.
func pickRef(refs []string, name string) string {
	for _, r := range refs {
		if r == name || strings.HasPrefix(r, name+":") {
			return r
		}
	}
	return refs[0]
}

func (a *Agent) readLoaded(id string) (loadedImage, error) {
	var l loadedImage
	b, err := os.ReadFile(a.loadedPath(id))
	if err != nil {
		return l, err
	}
	err = json.Unmarshal(b, &l)
	return l, err
}

func (a *Agent) writeLoaded(id string, l loadedImage) error {
	path := a.loadedPath(id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// SaveImage streams image ref of this host as a tarball (commit into the
// image store).
func (a *Agent) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	ar, ok := a.drv.(driver.ImageArchiver)
	if !ok {
		return nil, errdefs.NotSupportedf("the %s runtime cannot save images", a.drv.Name())
	}
	return ar.SaveImage(ctx, ref)
}
