package e2e

import (
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver/apitest"
	"github.com/zun-go/zun/internal/demoimage"
)

// TestAPI runs the API behaviour suite against the built zund on Docker.
func TestAPI(t *testing.T) {
	cli := requireDocker(t, "")
	d := startZund(t, "")
	apitest.Run(t, apitest.Target{
		URL:   d.URL,
		Image: demoimage.Ref,
		Real:  true,
		Admin: true,
		Token: d.adminToken,
		RuntimeContainers: func(t *testing.T) int {
			return len(d.runtimeContainers(t, cli))
		},
		Revision:     d.revision,
		ChangedSince: d.changedSince,
		QuietWindow:  10 * time.Second,
	})
}
