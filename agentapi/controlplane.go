package agentapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// ControlPlanePrefix is where NewControlPlaneHandler expects to be mounted.
const ControlPlanePrefix = "/internal/v1/"

// watchLine is one line of a watch stream: the snapshot first, then one
// change per line, and pings while nothing changes.
type watchLine struct {
	Snapshot []*container.Container `json:"snapshot,omitempty"`
	Change   *container.Change      `json:"change,omitempty"`
	Ping     bool                   `json:"ping,omitempty"`
}

type eventBody struct {
	UUID      string `json:"uuid"`
	RequestID string `json:"request_id"`
	Event     string `json:"event"`
	Error     string `json:"error,omitempty"`
}

type forgetBody struct {
	UUID string `json:"uuid"`
	Seq  int64  `json:"seq"`
}

// containerRef names a container of the calling host.
type containerRef struct {
	UUID string `json:"uuid"`
}

// PingInterval is how often an idle watch stream says it is alive.
var PingInterval = 15 * time.Second

// NewControlPlaneHandler serves cp to remote agents under
// ControlPlanePrefix, to callers holding token.
func NewControlPlaneHandler(cp compute.ControlPlane, token string) http.Handler {
	mux := http.NewServeMux()
	p := ControlPlanePrefix + "hosts/{host}/"
	mux.HandleFunc("GET "+p+"watch", func(w http.ResponseWriter, r *http.Request) {
		snapshot, changes, err := cp.Watch(r.Context(), r.PathValue("host"))
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		flusher, _ := w.(http.Flusher)
		send := func(l watchLine) bool {
			if err := enc.Encode(l); err != nil {
				return false
			}
			if flusher != nil {
				flusher.Flush()
			}
			return true
		}
		if snapshot == nil {
			snapshot = []*container.Container{}
		}
		if !send(watchLine{Snapshot: snapshot}) {
			return
		}
		ping := time.NewTicker(PingInterval)
		defer ping.Stop()
		for {
			select {
			case ch, ok := <-changes:
				if !ok || !send(watchLine{Change: &ch}) {
					return
				}
			case <-ping.C:
				if !send(watchLine{Ping: true}) {
					return
				}
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("POST "+p+"report", func(w http.ResponseWriter, r *http.Request) {
		var rep compute.Report
		if err := readJSON(r, &rep); err != nil {
			writeError(w, err)
			return
		}
		reply(w, cp.Report(r.Context(), r.PathValue("host"), rep))
	})
	mux.HandleFunc("POST "+p+"events/{phase}", func(w http.ResponseWriter, r *http.Request) {
		var ev eventBody
		if err := readJSON(r, &ev); err != nil {
			writeError(w, err)
			return
		}
		host := r.PathValue("host")
		switch r.PathValue("phase") {
		case "start":
			reply(w, cp.StartEvent(r.Context(), host, ev.UUID, ev.RequestID, ev.Event))
		case "finish":
			var cause error
			if ev.Error != "" {
				cause = errors.New(ev.Error)
			}
			reply(w, cp.FinishEvent(r.Context(), host, ev.UUID, ev.RequestID, ev.Event, cause))
		default:
			http.NotFound(w, r)
		}
	})
	mux.HandleFunc("POST "+p+"registry-auth", func(w http.ResponseWriter, r *http.Request) {
		var f containerRef
		if err := readJSON(r, &f); err != nil {
			writeError(w, err)
			return
		}
		auth, err := cp.RegistryAuth(r.Context(), r.PathValue("host"), f.UUID)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, auth)
	})
	mux.HandleFunc("GET "+p+"containers/{uuid}/store-image", func(w http.ResponseWriter, r *http.Request) {
		data := r.URL.Query().Get("data") == "1"
		info, rc, err := cp.StoreImage(r.Context(), r.PathValue("host"), r.PathValue("uuid"), data)
		if err != nil {
			writeError(w, err)
			return
		}
		meta, err := json.Marshal(info)
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set(storeImageHeader, string(meta))
		if rc == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		defer rc.Close()
		w.Header().Set("Content-Type", "application/x-tar")
		w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
		_, _ = io.Copy(w, rc)
	})
	mux.HandleFunc("GET "+p+"netconfig", func(w http.ResponseWriter, r *http.Request) {
		cfg, err := cp.NetConfig(r.Context(), r.PathValue("host"), r.URL.Query().Get("fresh") == "true")
		answerJSON(w, cfg, err)
	})
	mux.HandleFunc("POST "+p+"forget", func(w http.ResponseWriter, r *http.Request) {
		var f forgetBody
		if err := readJSON(r, &f); err != nil {
			writeError(w, err)
			return
		}
		reply(w, cp.Forget(r.Context(), r.PathValue("host"), f.UUID, f.Seq))
	})
	mux.HandleFunc("POST "+p+"heartbeat", func(w http.ResponseWriter, r *http.Request) {
		var info compute.HostInfo
		if err := readJSON(r, &info); err != nil {
			writeError(w, err)
			return
		}
		if info.Name != r.PathValue("host") {
			writeError(w, errdefs.Invalidf("heartbeat of %q sent for host %q", info.Name, r.PathValue("host")))
			return
		}
		reply(w, cp.Heartbeat(r.Context(), info))
	})
	return guard(token, mux)
}

func reply(w http.ResponseWriter, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ControlPlaneClient is a compute.ControlPlane across the network.
type ControlPlaneClient struct {
	base  string
	token string
	hc    *http.Client
}

// NewControlPlaneClient returns a client of the control plane at baseURL
// (e.g. "http://controller:9517").
func NewControlPlaneClient(baseURL, token string, hc *http.Client) *ControlPlaneClient {
	if hc == nil {
		hc = &http.Client{}
	}
	return &ControlPlaneClient{base: strings.TrimRight(baseURL, "/"), token: token, hc: hc}
}

func (c *ControlPlaneClient) url(host, path string) string {
	return c.base + ControlPlanePrefix + "hosts/" + url.PathEscape(host) + "/" + path
}

func (c *ControlPlaneClient) post(ctx context.Context, host, path string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(host, path), bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.hc.Do(req)
	if err != nil {
		return unreachable(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNoContent || res.StatusCode == http.StatusOK {
		return nil
	}
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return decodeError(res.StatusCode, raw)
}

// Watch implements compute.ControlPlane.
func (c *ControlPlaneClient) Watch(ctx context.Context, host string) ([]*container.Container, <-chan container.Change, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(host, "watch"), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, unreachable(err)
	}
	if res.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		return nil, nil, decodeError(res.StatusCode, raw)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var first watchLine
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &first) != nil {
		res.Body.Close()
		return nil, nil, unreachable(fmt.Errorf("watch of host %s: no snapshot: %v", host, sc.Err()))
	}
	out := make(chan container.Change, 64)
	go func() {
		defer close(out)
		defer res.Body.Close()
		// A silent stream is a dead one: pings come every PingInterval.
		alive := time.AfterFunc(3*PingInterval, func() { res.Body.Close() })
		defer alive.Stop()
		for sc.Scan() {
			alive.Reset(3 * PingInterval)
			var l watchLine
			if json.Unmarshal(sc.Bytes(), &l) != nil || l.Change == nil {
				continue
			}
			select {
			case out <- *l.Change:
			case <-ctx.Done():
				return
			}
		}
	}()
	return first.Snapshot, out, nil
}

// Report implements compute.ControlPlane.
func (c *ControlPlaneClient) Report(ctx context.Context, host string, r compute.Report) error {
	return c.post(ctx, host, "report", r)
}

// StartEvent implements compute.ControlPlane.
func (c *ControlPlaneClient) StartEvent(ctx context.Context, host, uuid, requestID, event string) error {
	return c.post(ctx, host, "events/start", eventBody{UUID: uuid, RequestID: requestID, Event: event})
}

// FinishEvent implements compute.ControlPlane.
func (c *ControlPlaneClient) FinishEvent(ctx context.Context, host, uuid, requestID, event string, cause error) error {
	ev := eventBody{UUID: uuid, RequestID: requestID, Event: event}
	if cause != nil {
		ev.Error = cause.Error()
	}
	return c.post(ctx, host, "events/finish", ev)
}

// Forget implements compute.ControlPlane.
func (c *ControlPlaneClient) Forget(ctx context.Context, host, uuid string, seq int64) error {
	return c.post(ctx, host, "forget", forgetBody{UUID: uuid, Seq: seq})
}

// Heartbeat implements compute.ControlPlane.
func (c *ControlPlaneClient) Heartbeat(ctx context.Context, info compute.HostInfo) error {
	return c.post(ctx, info.Name, "heartbeat", info)
}

// Interface guards
var _ compute.ControlPlane = (*ControlPlaneClient)(nil)

func answerJSON(w http.ResponseWriter, v any, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, v)
}

// NetConfig implements compute.ControlPlane.
func (c *ControlPlaneClient) NetConfig(ctx context.Context, host string, fresh bool) (compute.NetConfig, error) {
	var cfg compute.NetConfig
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u := c.url(host, "netconfig")
	if fresh {
		u += "?fresh=true"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return cfg, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.hc.Do(req)
	if err != nil {
		return cfg, unreachable(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return cfg, unreachable(err)
	}
	if res.StatusCode != http.StatusOK {
		return cfg, decodeError(res.StatusCode, raw)
	}
	return cfg, json.Unmarshal(raw, &cfg)
}

// storeImageHeader carries the description of an image-store image.
const storeImageHeader = "X-Zun-Store-Image"

// StoreImage implements compute.ControlPlane; the data streams as long
// as ctx lasts.
func (c *ControlPlaneClient) StoreImage(ctx context.Context, host, uuid string, data bool) (compute.StoreImage, io.ReadCloser, error) {
	var info compute.StoreImage
	u := c.url(host, "containers/"+url.PathEscape(uuid)+"/store-image")
	if data {
		u += "?data=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return info, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.hc.Do(req)
	if err != nil {
		return info, nil, unreachable(err)
	}
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNoContent {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		return info, nil, decodeError(res.StatusCode, raw)
	}
	if err := json.Unmarshal([]byte(res.Header.Get(storeImageHeader)), &info); err != nil {
		res.Body.Close()
		return info, nil, unreachable(fmt.Errorf("image description: %w", err))
	}
	if !data {
		res.Body.Close()
		return info, nil, nil
	}
	return info, res.Body, nil
}

// RegistryAuth implements compute.ControlPlane.
func (c *ControlPlaneClient) RegistryAuth(ctx context.Context, host, uuid string) (driver.RegistryAuth, error) {
	var auth driver.RegistryAuth
	b, err := json.Marshal(containerRef{UUID: uuid})
	if err != nil {
		return auth, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(host, "registry-auth"), bytes.NewReader(b))
	if err != nil {
		return auth, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.hc.Do(req)
	if err != nil {
		return auth, unreachable(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return auth, decodeError(res.StatusCode, raw)
	}
	return auth, json.Unmarshal(raw, &auth)
}
