package compute

import (
	"context"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// PullImage pulls image ref onto this host as policy says (the images
// API) and describes it.
func (a *Agent) PullImage(ctx context.Context, ref string, policy driver.PullPolicy) (driver.ImageInfo, error) {
	im, ok := a.drv.(driver.ImageManager)
	if !ok {
		return driver.ImageInfo{}, errdefs.NotSupportedf("the %s runtime cannot manage images", a.drv.Name())
	}
	if err := a.drv.PrepareImage(ctx, ref, policy); err != nil {
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
