package agentapi

import (
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

	"github.com/zun-go/zun/driver"
)

// HostPrefix is where NewHostHandler expects to be mounted on an agent.
const HostPrefix = "/host/v1/"

// HostCalls are the direct calls an agent answers (compute.Agent has
// them; the control plane's apiserver.HostAPI is the same set).
type HostCalls interface {
	Logs(ctx context.Context, runtimeID string, opts driver.LogOptions) (io.ReadCloser, error)
	Exec(ctx context.Context, runtimeID string, cmd []string) (driver.ExecResult, error)
	Stats(ctx context.Context, runtimeID string) (driver.Stats, error)
	Top(ctx context.Context, runtimeID, psArgs string) (driver.TopResult, error)
	Update(ctx context.Context, runtimeID string, r driver.Resources) error
	Commit(ctx context.Context, runtimeID, repository, tag string) (string, error)
	RemoveVolume(ctx context.Context, volumeID string) error
	PullImage(ctx context.Context, ref string, policy driver.PullPolicy, progress func(driver.Progress)) (driver.ImageInfo, error)
	RemoveImage(ctx context.Context, ref string) error
	SaveImage(ctx context.Context, ref string) (io.ReadCloser, error)
}

// pullLine is one line of a pull's answer.
type pullLine struct {
	Progress *driver.Progress  `json:"progress,omitempty"`
	Image    *driver.ImageInfo `json:"image,omitempty"`
	Error    *wireError        `json:"error,omitempty"`
}

// progressEvery paces a pull's progress lines.
const progressEvery = 500 * time.Millisecond

type imageBody struct {
	Ref    string            `json:"ref"`
	Policy driver.PullPolicy `json:"policy,omitempty"`
}

// execGrace is how long past an exec's deadline its caller waits for the
// agent, which ends the command at the deadline, to answer.
const execGrace = 2 * time.Second

type execBody struct {
	Cmd []string `json:"cmd"`
	// TimeoutMS is what is left of the caller's deadline: the agent ends
	// the command then, even if the caller's connection lingers.
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
}

type commitBody struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
}

// NewHostHandler serves an agent's direct calls to holders of token.
func NewHostHandler(h HostCalls, token string) http.Handler {
	mux := http.NewServeMux()
	p := HostPrefix + "containers/{id}/"
	mux.HandleFunc("GET "+p+"logs", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		opts := driver.LogOptions{Stdout: q.Get("stdout") == "1", Stderr: q.Get("stderr") == "1",
			Timestamps: q.Get("timestamps") == "1", Tail: q.Get("tail"), Follow: q.Get("follow") == "1"}
		if s := q.Get("since"); s != "" {
			ns, _ := strconv.ParseInt(s, 10, 64)
			opts.Since = time.Unix(0, ns)
		}
		rc, err := h.Logs(r.Context(), r.PathValue("id"), opts)
		if err != nil {
			writeError(w, err)
			return
		}
		defer rc.Close()
		w.Header().Set("Content-Type", "application/octet-stream")
		flusher, _ := w.(http.Flusher)
		buf := make([]byte, 32<<10)
		for {
			n, err := rc.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				if flusher != nil {
					flusher.Flush()
				}
			}
			if err != nil {
				return
			}
		}
	})
	mux.HandleFunc("POST "+p+"exec", func(w http.ResponseWriter, r *http.Request) {
		var b execBody
		if err := readJSON(r, &b); err != nil {
			writeError(w, err)
			return
		}
		ctx := r.Context()
		if b.TimeoutMS > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(b.TimeoutMS)*time.Millisecond)
			defer cancel()
		}
		res, err := h.Exec(ctx, r.PathValue("id"), b.Cmd)
		answer(w, res, err)
	})
	mux.HandleFunc("GET "+p+"stats", func(w http.ResponseWriter, r *http.Request) {
		res, err := h.Stats(r.Context(), r.PathValue("id"))
		answer(w, res, err)
	})
	mux.HandleFunc("GET "+p+"top", func(w http.ResponseWriter, r *http.Request) {
		res, err := h.Top(r.Context(), r.PathValue("id"), r.URL.Query().Get("ps_args"))
		answer(w, res, err)
	})
	mux.HandleFunc("POST "+p+"update", func(w http.ResponseWriter, r *http.Request) {
		var res driver.Resources
		if err := readJSON(r, &res); err != nil {
			writeError(w, err)
			return
		}
		reply(w, h.Update(r.Context(), r.PathValue("id"), res))
	})
	mux.HandleFunc("POST "+p+"commit", func(w http.ResponseWriter, r *http.Request) {
		var b commitBody
		if err := readJSON(r, &b); err != nil {
			writeError(w, err)
			return
		}
		id, err := h.Commit(r.Context(), r.PathValue("id"), b.Repository, b.Tag)
		answer(w, map[string]string{"image": id}, err)
	})
	mux.HandleFunc("POST "+HostPrefix+"images/pull", func(w http.ResponseWriter, r *http.Request) {
		var b imageBody
		if err := readJSON(r, &b); err != nil {
			writeError(w, err)
			return
		}
		// The answer streams: progress lines as the pull goes, at most
		// every progressEvery, then the image or the error.
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
		enc := json.NewEncoder(w)
		flusher, _ := w.(http.Flusher)
		var sent time.Time
		info, err := h.PullImage(r.Context(), b.Ref, b.Policy, func(p driver.Progress) {
			if time.Since(sent) < progressEvery {
				return
			}
			sent = time.Now()
			_ = enc.Encode(pullLine{Progress: &p})
			if flusher != nil {
				flusher.Flush()
			}
		})
		if err != nil {
			_ = enc.Encode(pullLine{Error: wireErrorOf(err)})
			return
		}
		_ = enc.Encode(pullLine{Image: &info})
	})
	mux.HandleFunc("POST "+HostPrefix+"images/remove", func(w http.ResponseWriter, r *http.Request) {
		var b imageBody
		if err := readJSON(r, &b); err != nil {
			writeError(w, err)
			return
		}
		reply(w, h.RemoveImage(r.Context(), b.Ref))
	})
	mux.HandleFunc("GET "+HostPrefix+"images/save", func(w http.ResponseWriter, r *http.Request) {
		rc, err := h.SaveImage(r.Context(), r.URL.Query().Get("ref"))
		if err != nil {
			writeError(w, err)
			return
		}
		defer rc.Close()
		w.Header().Set("Content-Type", "application/x-tar")
		_, _ = io.Copy(w, rc)
	})
	mux.HandleFunc("DELETE "+HostPrefix+"volumes/{id}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, h.RemoveVolume(r.Context(), r.PathValue("id")))
	})
	return guard(token, mux)
}

func answer(w http.ResponseWriter, v any, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, v)
}

// HostClient makes direct calls to an agent at its address.
type HostClient struct {
	base  string
	token string
	hc    *http.Client
}

// NewHostClient returns a client of the agent at baseURL.
func NewHostClient(baseURL, token string, hc *http.Client) *HostClient {
	if hc == nil {
		hc = &http.Client{}
	}
	return &HostClient{base: strings.TrimRight(baseURL, "/"), token: token, hc: hc}
}

func (c *HostClient) do(ctx context.Context, method, id, path string, q url.Values, body, out any) (*http.Response, error) {
	return c.doRel(ctx, method, "containers/"+url.PathEscape(id)+"/"+path, q, body, out)
}

// doRel makes a call to HostPrefix+rel.
func (c *HostClient) doRel(ctx context.Context, method, rel string, q url.Values, body, out any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := c.base + HostPrefix + rel
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, unreachable(err)
	}
	if res.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		return nil, decodeError(res.StatusCode, raw)
	}
	if out == nil {
		return res, nil
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNoContent {
		return res, nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return nil, unreachable(err)
	}
	return res, nil
}

// Logs implements the host calls; the stream ends with the request's ctx.
func (c *HostClient) Logs(ctx context.Context, id string, opts driver.LogOptions) (io.ReadCloser, error) {
	q := url.Values{}
	for k, v := range map[string]bool{"stdout": opts.Stdout, "stderr": opts.Stderr, "timestamps": opts.Timestamps, "follow": opts.Follow} {
		if v {
			q.Set(k, "1")
		}
	}
	if opts.Tail != "" {
		q.Set("tail", opts.Tail)
	}
	if !opts.Since.IsZero() {
		q.Set("since", strconv.FormatInt(opts.Since.UnixNano(), 10))
	}
	res, err := c.do(ctx, http.MethodGet, id, "logs", q, nil, nil)
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}

// Exec implements the host calls.
func (c *HostClient) Exec(ctx context.Context, id string, cmd []string) (driver.ExecResult, error) {
	var out driver.ExecResult
	b := execBody{Cmd: cmd}
	if dl, ok := ctx.Deadline(); ok {
		b.TimeoutMS = max(time.Until(dl).Milliseconds(), 1)
		// The agent ends the command at the deadline, then answers: wait
		// a little past it for that answer, so that the command is gone
		// when Exec returns. Only the deadline is stretched; a caller
		// that gives up otherwise still cuts the call short.
		answered, cancel := context.WithDeadline(context.WithoutCancel(ctx), dl.Add(execGrace))
		defer cancel()
		stop := context.AfterFunc(ctx, func() {
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				cancel()
			}
		})
		defer stop()
		_, err := c.do(answered, http.MethodPost, id, "exec", nil, b, &out)
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w: %v", ctx.Err(), err)
		}
		return out, err
	}
	_, err := c.do(ctx, http.MethodPost, id, "exec", nil, b, &out)
	return out, err
}

// Stats implements the host calls.
func (c *HostClient) Stats(ctx context.Context, id string) (driver.Stats, error) {
	var out driver.Stats
	_, err := c.do(ctx, http.MethodGet, id, "stats", nil, nil, &out)
	return out, err
}

// Top implements the host calls.
func (c *HostClient) Top(ctx context.Context, id, psArgs string) (driver.TopResult, error) {
	var out driver.TopResult
	q := url.Values{}
	if psArgs != "" {
		q.Set("ps_args", psArgs)
	}
	_, err := c.do(ctx, http.MethodGet, id, "top", q, nil, &out)
	return out, err
}

// Update implements the host calls.
func (c *HostClient) Update(ctx context.Context, id string, r driver.Resources) error {
	_, err := c.do(ctx, http.MethodPost, id, "update", nil, r, &struct{}{})
	return err
}

// Commit implements the host calls.
func (c *HostClient) Commit(ctx context.Context, id, repository, tag string) (string, error) {
	var out map[string]string
	_, err := c.do(ctx, http.MethodPost, id, "commit", nil, commitBody{repository, tag}, &out)
	return out["image"], err
}

// RemoveVolume deletes a volume's data on the agent's host.
func (c *HostClient) RemoveVolume(ctx context.Context, volumeID string) error {
	_, err := c.doRel(ctx, http.MethodDelete, "volumes/"+url.PathEscape(volumeID), nil, nil, nil)
	return err
}

// PullImage pulls an image onto the agent's host, passing on the
// progress it reports.
func (c *HostClient) PullImage(ctx context.Context, ref string, policy driver.PullPolicy, progress func(driver.Progress)) (driver.ImageInfo, error) {
	res, err := c.doRel(ctx, http.MethodPost, "images/pull", nil, imageBody{Ref: ref, Policy: policy}, nil)
	if err != nil {
		return driver.ImageInfo{}, err
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var l pullLine
		if err := dec.Decode(&l); err != nil {
			return driver.ImageInfo{}, unreachable(fmt.Errorf("pull of %s: the answer ended early: %w", ref, err))
		}
		switch {
		case l.Error != nil:
			return driver.ImageInfo{}, l.Error.err()
		case l.Image != nil:
			return *l.Image, nil
		case l.Progress != nil && progress != nil:
			progress(*l.Progress)
		}
	}
}

// RemoveImage removes an image from the agent's host.
func (c *HostClient) RemoveImage(ctx context.Context, ref string) error {
	_, err := c.doRel(ctx, http.MethodPost, "images/remove", nil, imageBody{Ref: ref}, nil)
	return err
}

// SaveImage streams an image of the agent's host as a tarball.
func (c *HostClient) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	res, err := c.doRel(ctx, http.MethodGet, "images/save", url.Values{"ref": {ref}}, nil, nil)
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}

// Interface guards
var _ HostCalls = (*HostClient)(nil)
