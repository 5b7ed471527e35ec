package scheduler

import (
	"slices"
	"strings"
)

// LabelFilter passes the hosts that carry every requested label with the
// requested value. Zun takes the requested labels from the scheduler hints
// named "label:<key>"; see LabelsFromHints.
type LabelFilter struct{}

func (LabelFilter) Name() string              { return "LabelFilter" }
func (LabelFilter) Applies(req *Request) bool { return len(req.Labels) > 0 }

func (LabelFilter) Check(req *Request, h *HostState) Reason {
	for k, v := range req.Labels {
		if hv, ok := h.Labels[k]; !ok || hv != v {
			return 1
		}
	}
	return Pass
}

func (LabelFilter) Explain(req *Request, _ Reason, n int) string {
	kv := make([]string, 0, len(req.Labels))
	for k, v := range req.Labels {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return hosts(n) + verb(n, " does", " do") + " not have labels " + strings.Join(kv, ", ")
}

// LabelHintPrefix starts the scheduler hints that name required host labels.
const LabelHintPrefix = "label:"

// LabelsFromHints returns the host labels a container's scheduler hints
// require: {"label:zone": "a"} requires label zone=a. Nil if none.
func LabelsFromHints(hints map[string]string) map[string]string {
	var labels map[string]string
	for k, v := range hints {
		if key, ok := strings.CutPrefix(k, LabelHintPrefix); ok {
			if labels == nil {
				labels = make(map[string]string)
			}
			labels[key] = v
		}
	}
	return labels
}
