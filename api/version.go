package api

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a microversion of the container API, such as 1.40.
type Version struct {
	Major, Minor int
}

// The microversions this implementation speaks.
var (
	MinVersion = Version{1, 1}
	MaxVersion = Version{1, 40}
)

// VersionHeader is the request and response header that carries the
// microversion, as "container 1.40".
const (
	VersionHeader    = "OpenStack-API-Version"
	MinVersionHeader = "OpenStack-API-Minimum-Version"
	MaxVersionHeader = "OpenStack-API-Maximum-Version"
	ServiceType      = "container"
)

// V is shorthand for Version{1, minor}.
func V(minor int) Version { return Version{1, minor} }

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less reports whether v is older than o.
func (v Version) Less(o Version) bool {
	return v.Major < o.Major || (v.Major == o.Major && v.Minor < o.Minor)
}

// AtLeast reports whether v is o or newer.
func (v Version) AtLeast(o Version) bool { return !v.Less(o) }

// ParseVersion parses "1.40" or "latest" (which is MaxVersion).
func ParseVersion(s string) (Version, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "latest") {
		return MaxVersion, nil
	}
	major, minor, ok := strings.Cut(s, ".")
	if !ok {
		return Version{}, fmt.Errorf("invalid API version %q: want MAJOR.MINOR", s)
	}
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || ma < 0 || mi < 0 {
		return Version{}, fmt.Errorf("invalid API version %q: want MAJOR.MINOR", s)
	}
	return Version{ma, mi}, nil
}
