package schema

import (
	"strconv"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// ImageReference is a Docker image reference split into its parts, as
// [domain/]path[:tag][@digest]. Nothing is normalized: no default
// registry, no "library/", no "latest".
type ImageReference struct {
	// Domain is the registry, host[:port], when the reference names one:
	// a first path component holding '.' or ':', or "localhost". Empty
	// otherwise, and then Path holds the first component too.
	Domain string
	// Path is the repository, components separated by '/'.
	Path string
	// Tag is the tag, empty when none.
	Tag string
	// Digest is "algorithm:hex", empty when none.
	Digest string
}

// Name is the repository with its domain, as written.
func (r ImageReference) Name() string {
	if r.Domain == "" {
		return r.Path
	}
	return r.Domain + "/" + r.Path
}

// String is the reference as written.
func (r ImageReference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// ImageRef parses s with the grammar of Docker's image references, which
// Zun implements in zun/common/docker_image:
//
//	reference := name [ ":" tag ] [ "@" digest ]
//	name      := [ domain "/" ] component ( "/" component )*   (≤ 255)
//	domain    := host-part ( "." host-part )* [ ":" port ]
//	component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//	tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//	digest    := ( "sha256" | "sha384" | "sha512" ) ":" lowercase hex
func ImageRef(s string) (ImageReference, error) {
	ref, reason := parseImageRef(s)
	if reason != "" {
		return ImageReference{}, errdefs.Invalidf("Invalid image reference %s: %s.", show(s), reason)
	}
	return ref, nil
}

// parseImageRef parses s, or says why it cannot.
func parseImageRef(s string) (ImageReference, string) {
	var ref ImageReference
	if s == "" {
		return ref, "the reference is empty"
	}
	name := s
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name, ref.Digest = name[:i], name[i+1:]
		if reason := checkDigest(ref.Digest); reason != "" {
			return ref, reason
		}
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i+1:], "/") {
		name, ref.Tag = name[:i], name[i+1:]
		if !validTag(ref.Tag) {
			return ref, "a tag is 1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"
		}
	}
	switch {
	case name == "":
		return ref, "the repository name is empty"
	case len(name) > 255:
		return ref, "the repository name is longer than 255 characters"
	}
	parts := strings.Split(name, "/")
	hasHost := len(parts) > 1 && ValidRegistryHost(parts[0])
	for i, p := range parts {
		if i == 0 && hasHost {
			continue
		}
		if reason := checkComponent(p); reason != "" {
			return ref, reason
		}
	}
	if hasHost && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		ref.Domain, ref.Path = parts[0], strings.Join(parts[1:], "/")
	} else {
		ref.Path = name
	}
	return ref, ""
}

// checkComponent says what is wrong with a path component, if anything.
func checkComponent(p string) string {
	if p == "" {
		return "the repository name has an empty path component"
	}
	if strings.ToLower(p) != p {
		return "the repository name must be lowercase"
	}
	bad := "path component '" + p + "' is not lowercase letters and digits separated by '.', '_', '__' or dashes"
	i := 0
	for {
		start := i
		for i < len(p) && isLowerAlnum(p[i]) {
			i++
		}
		if i == start {
			return bad // a separator at the start, or two in a row
		}
		if i == len(p) {
			return ""
		}
		start = i
		for i < len(p) && !isLowerAlnum(p[i]) {
			i++
		}
		switch sep := p[start:i]; {
		case sep == "." || sep == "_" || sep == "__":
		case strings.Trim(sep, "-") == "":
		default:
			return bad
		}
		if i == len(p) {
			return bad // a separator at the end
		}
	}
}

// ValidRegistryHost matches host-part ("." host-part)* [":" digits], a
// host-part being letters, digits and inner dashes.
func ValidRegistryHost(s string) bool {
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort && !isDigits(port) {
		return false
	}
	for _, part := range strings.Split(host, ".") {
		if part == "" || part[0] == '-' || part[len(part)-1] == '-' {
			return false
		}
		for i := 0; i < len(part); i++ {
			if !isAlnum(part[i]) && part[i] != '-' {
				return false
			}
		}
	}
	return true
}

func validTag(t string) bool {
	if t == "" || len(t) > 128 || t[0] == '.' || t[0] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		if !isAlnum(t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-' {
			return false
		}
	}
	return true
}

// digestSizes are the hex lengths of the digests Docker and Zun support.
var digestSizes = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

func checkDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	size, known := digestSizes[alg]
	switch {
	case !ok || hex == "":
		return "a digest is 'algorithm:hex', such as 'sha256:' and 64 hex digits"
	case !known:
		return "the digest algorithm is not one of 'sha256', 'sha384' or 'sha512'"
	case len(hex) != size:
		return "a " + alg + " digest has " + strconv.Itoa(size) + " hex digits"
	}
	for i := 0; i < len(hex); i++ {
		if !(hex[i] >= '0' && hex[i] <= '9') && !(hex[i] >= 'a' && hex[i] <= 'f') {
			return "a digest's hex digits are 0-9 and lowercase a-f"
		}
	}
	return ""
}

func isLowerAlnum(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }

func isAlnum(b byte) bool { return isLowerAlnum(b) || b >= 'A' && b <= 'Z' }
