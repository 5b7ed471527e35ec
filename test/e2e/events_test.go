package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/internal/demoimage"
)

// TestEventsDriveStatus checks that Docker's event stream, not the
// periodic sync, carries status: with the sync an hour apart, a process
// that exits by itself still shows Stopped with its exit code.
func TestEventsDriveStatus(t *testing.T) {
	requireDocker(t, "")
	d := startZund(t, "", "--sync-interval", "1h")
	c := apiClient(t, d)
	ct, err := c.CreateContainer(context.Background(), api.CreateContainer{
		Image: demoimage.Ref, Command: []string{"sh", "-c", "sleep 1; exit 7"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	got := waitStatus(t, c, ct.UUID, "Stopped")
	if !strings.HasPrefix(got.StatusDetail, "Exited(7)") {
		t.Fatalf("status_detail %q, want Exited(7)", got.StatusDetail)
	}
}
