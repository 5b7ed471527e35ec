package docker

import (
	"strconv"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// signalNames are the Linux signals 1 to 31 by number, as kill -l lists
// them.
var signalNames = [...]string{1: "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE",
	"KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT",
	"STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH",
	"IO", "PWR", "SYS"}

// signalAliases are other names of some signals.
var signalAliases = map[string]int{"IOT": 6, "POLL": 29, "RTMIN": sigRTMin, "RTMAX": sigRTMax}

// Real-time signals have numbers but no names of their own.
const (
	sigRTMin = 34
	sigRTMax = 64
)

// ParseSignal turns a signal as Zun users write it into the name the engine
// takes: "SIGTERM", "TERM", "term" and "15" are all "SIGTERM", and "" is
// "SIGKILL". A real-time signal is a number ("40"); RTMIN+n and RTMAX-n are
// understood. Anything else is an errdefs.ErrInvalid error.
func ParseSignal(s string) (string, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return "SIGKILL", nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		n = signalNumber(strings.TrimPrefix(strings.ToUpper(raw), "SIG"))
	}
	switch {
	case n >= 1 && n < len(signalNames):
		return "SIG" + signalNames[n], nil
	case n >= sigRTMin && n <= sigRTMax:
		return strconv.Itoa(n), nil
	}
	return "", errdefs.Invalidf("invalid signal %q", s)
}

// signalNumber is the number of the signal named name (without "SIG"), or
// 0 when there is none.
func signalNumber(name string) int {
	for n, known := range signalNames {
		if known != "" && known == name {
			return n
		}
	}
	if n, ok := signalAliases[name]; ok {
		return n
	}
	if rest, ok := strings.CutPrefix(name, "RTMIN+"); ok {
		if off, err := strconv.Atoi(rest); err == nil && off >= 0 && off <= sigRTMax-sigRTMin {
			return sigRTMin + off
		}
	}
	if rest, ok := strings.CutPrefix(name, "RTMAX-"); ok {
		if off, err := strconv.Atoi(rest); err == nil && off >= 0 && off <= sigRTMax-sigRTMin {
			return sigRTMax - off
		}
	}
	return 0
}
