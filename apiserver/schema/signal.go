package schema

import (
	"strconv"
	"strings"
)

// signals are the members of Python's signal.Signals on Linux, which make
// Zun's enum of kill signals. Aliases (SIGIOT, SIGCLD, SIGPOLL) are not
// members, so Zun refuses them, and so does Signal.
var signals = map[string]int{
	"SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5,
	"SIGABRT": 6, "SIGBUS": 7, "SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10,
	"SIGSEGV": 11, "SIGUSR2": 12, "SIGPIPE": 13, "SIGALRM": 14, "SIGTERM": 15,
	"SIGSTKFLT": 16, "SIGCHLD": 17, "SIGCONT": 18, "SIGSTOP": 19, "SIGTSTP": 20,
	"SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23, "SIGXCPU": 24, "SIGXFSZ": 25,
	"SIGVTALRM": 26, "SIGPROF": 27, "SIGWINCH": 28, "SIGIO": 29, "SIGPWR": 30,
	"SIGSYS": 31, "SIGRTMIN": 34, "SIGRTMAX": 64,
}

// maxSignal is the highest Linux signal number (SIGRTMAX).
const maxSignal = 64

// Signal parses the "signal" of kill: a signal name with or without its
// SIG prefix, in any case ("SIGTERM", "term", "Term"), or a signal number
// from 1 to 64. It returns the canonical name ("SIGTERM") or the number in
// decimal ("15"), both of which Docker takes. "None", which
// python-zunclient sends for no signal, and the empty value return "":
// the runtime's default (SIGKILL).
func Signal(value string) (string, error) {
	if value == "" || strings.EqualFold(value, "None") {
		return "", nil
	}
	if isDigits(value) {
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > maxSignal || value[0] == '0' {
			return "", queryError("signal", value, "A signal number is from 1 to %d.", maxSignal)
		}
		return value, nil
	}
	name := strings.ToUpper(value)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if _, ok := signals[name]; !ok {
		return "", queryError("signal", value, "Expected a signal name such as 'SIGTERM' or 'term', or a number from 1 to %d.", maxSignal)
	}
	return name, nil
}
