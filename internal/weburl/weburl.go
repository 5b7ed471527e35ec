// Package weburl builds the absolute URLs of links in API answers.
package weburl

import (
	"net/http"
	"strings"
)

// Base is the URL of a service mounted at prefix: public (the configured
// public URL) when set, else the scheme and host r came to.
func Base(r *http.Request, public, prefix string) string {
	if public != "" {
		return strings.TrimRight(public, "/") + prefix
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + prefix
}
