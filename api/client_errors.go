package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// Error is a non-2xx answer of the service. Its message is the server's;
// errors.Is matches the errdefs sentinel of its status, so callers write
// errdefs.IsNotFound(err) whatever the server said.
type Error struct {
	Status    int    // HTTP status
	Code      string // Zun's code, such as "container.not_found"
	Title     string
	Detail    string
	RequestID string
	// MinVersion and MaxVersion are set on a 406 for an unsupported
	// microversion: the range the server speaks.
	MinVersion, MaxVersion string
}

func (e *Error) Error() string {
	switch {
	case e.Detail != "":
		return e.Detail
	case e.Title != "":
		return e.Title
	}
	return fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
}

// Is reports whether target is the errdefs sentinel of e's status, as
// errdefs.FromHTTPStatus reads it back.
func (e *Error) Is(target error) bool {
	kind := errdefs.FromHTTPStatus(e.Status)
	return kind != nil && target == kind
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// decodeError reads a non-2xx response. Zun answers
// {"errors":[{...}]}; Keystone's middleware answers
// {"error":{"code","title","message"}}; the image store answers
// {"code","title","message"}; anything else (a proxy's HTML page) keeps
// its first line as the detail.
func decodeError(resp *http.Response) *Error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get(RequestIDHeader)}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))

	var zun ErrorBody
	if json.Unmarshal(data, &zun) == nil && len(zun.Errors) > 0 {
		it := zun.Errors[0]
		e.Code, e.Title, e.Detail = it.Code, it.Title, it.Detail
		e.MinVersion, e.MaxVersion = it.MinVersion, it.MaxVersion
		if it.RequestID != "" {
			e.RequestID = it.RequestID
		}
		return e
	}
	var ks struct {
		Error struct {
			Title   string `json:"title"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &ks) == nil && (ks.Error.Message != "" || ks.Error.Title != "") {
		e.Title, e.Detail = ks.Error.Title, ks.Error.Message
		return e
	}
	var flat struct {
		Title   string `json:"title"`
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &flat) == nil && (flat.Message != "" || flat.Title != "") {
		e.Title, e.Detail = flat.Title, flat.Message
		return e
	}
	text := strings.TrimSpace(string(data))
	if line, _, _ := strings.Cut(text, "\n"); line != "" && !strings.HasPrefix(line, "<") {
		e.Detail = fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), line)
	}
	return e
}
