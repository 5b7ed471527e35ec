package docker_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/docker"
)

// TestEventsStreamBreaks runs Events against a stub engine that sends two
// events and hangs up, as a restarting engine does: the state change comes
// through, the exec event does not, and the error channel says the stream
// broke.
func TestEventsStreamBreaks(t *testing.T) {
	t.Parallel()
	sock := t.TempDir() + "/engine.sock"
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	filtersc := make(chan string, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		w.Write([]byte("OK"))
	})
	mux.HandleFunc("/v1.41/events", func(w http.ResponseWriter, r *http.Request) {
		filtersc <- r.URL.Query().Get("filters")
		enc := json.NewEncoder(w)
		for _, action := range []string{"exec_start: sh", "die"} {
			enc.Encode(map[string]any{"Type": "container", "Action": action, "timeNano": time.Now().UnixNano(),
				"Actor": map[string]any{"ID": "abc", "Attributes": map[string]string{driver.LabelUUID: "u-1"}}})
		}
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	d, err := docker.New(t.Context(), docker.Options{Host: "unix://" + sock, HostName: "compute-1"})
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	defer d.Close()
	if got := d.APIVersion(); got != "1.41" {
		t.Fatalf("negotiated API version: got %q, want 1.41", got)
	}
	events, errs := d.Events(t.Context())
	var got []driver.Event
	for ev := range events {
		got = append(got, ev)
	}
	if len(got) != 1 || got[0].ID != "abc" || got[0].UUID != "u-1" || got[0].Action != "die" {
		t.Fatalf("events: got %+v, want only the die of abc", got)
	}
	if err := <-errs; err == nil {
		t.Fatalf("stream error: got nil, want why the stream broke")
	}
	filters := <-filtersc
	for _, want := range []string{`"io.zun.managed=true"`, `"io.zun.host=compute-1"`, `"container"`} {
		if !strings.Contains(filters, want) {
			t.Fatalf("events filters: got %s, want it to hold %s", filters, want)
		}
	}
}
