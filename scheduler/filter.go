package scheduler

import (
	"slices"
	"strconv"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// Reason is a filter's verdict on one host: Pass, or a filter-specific code
// (1 to maxReason-1) that the filter's Explain turns into words.
type Reason uint8

// Pass is the verdict of a host that a filter lets through.
const Pass Reason = 0

// maxReason bounds a filter's codes, so rejections are counted in a fixed
// table rather than a map.
const maxReason = 4

// A Filter rejects the hosts that cannot take a request.
type Filter interface {
	// Name is the filter's name as OpenStack spells it (RamFilter).
	Name() string
	// Applies reports whether the filter has anything to check for req;
	// the scheduler skips a filter that does not apply.
	Applies(req *Request) bool
	// Check returns Pass or the reason h cannot take req. It runs once per
	// host and must not allocate; it passes every host when the filter
	// does not apply.
	Check(req *Request, h *HostState) Reason
	// Explain says why n hosts were rejected with reason r, as a phrase
	// that starts with the count: "3 hosts lack 2048 MiB of free memory".
	Explain(req *Request, r Reason, n int) string
}

// Rejection counts the hosts one filter rejected for one reason.
type Rejection struct {
	Filter string
	Hosts  int
	Why    string // "3 hosts lack 2048 MiB of free memory"
}

// NoValidHostError is the error of a request that no host can take now. It
// is an errdefs.ErrUnavailable; its message says which filter rejected how
// many hosts and why, fit for a container's status_reason.
type NoValidHostError struct {
	Rejections []Rejection // most hosts first
}

// Error renders the error, such as "No valid host was found. RamFilter: 3
// hosts lack 2048 MiB of free memory; ComputeFilter: 1 host is down".
func (e *NoValidHostError) Error() string {
	if len(e.Rejections) == 0 {
		return "No valid host was found. There are not enough hosts available."
	}
	var b strings.Builder
	b.WriteString("No valid host was found. ")
	for i, r := range e.Rejections {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r.Filter)
		b.WriteString(": ")
		b.WriteString(r.Why)
	}
	return b.String()
}

// Is makes the error an errdefs.ErrUnavailable.
func (e *NoValidHostError) Is(target error) bool { return target == errdefs.ErrUnavailable }

// noValidHost builds the error from the rejection counts of a Select:
// counts[i*maxReason+r] hosts were rejected by filters[i] for reason r.
func noValidHost(req *Request, filters []Filter, counts []int) *NoValidHostError {
	e := &NoValidHostError{}
	for i, f := range filters {
		for r := Reason(1); r < maxReason; r++ {
			if n := counts[i*maxReason+int(r)]; n > 0 {
				e.Rejections = append(e.Rejections, Rejection{Filter: f.Name(), Hosts: n, Why: f.Explain(req, r, n)})
			}
		}
	}
	slices.SortStableFunc(e.Rejections, func(a, b Rejection) int { return b.Hosts - a.Hosts })
	return e
}

// hosts renders a host count: "1 host", "3 hosts".
func hosts(n int) string {
	if n == 1 {
		return "1 host"
	}
	return strconv.Itoa(n) + " hosts"
}

// verb picks the singular or plural form for n subjects.
func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// available is the capacity of a host under an allocation ratio, less what
// is used.
func available(total, ratio, used float64) float64 { return total*ratio - used }
