package netplane

import (
	"errors"
	"strings"
)

// The names of the kernel objects netplane owns. Each is a prefix and the
// device key of a network or port id (its first 12 hex digits), so names
// fit Linux's 15 characters and an object found in the kernel tells which
// network or port it belongs to. Anything else with these prefixes is
// netplane's to remove.
const (
	bridgePrefix = "zb" // a network's bridge
	vxlanPrefix  = "zx" // a network's VXLAN device, a port of its bridge
	vethPrefix   = "zv" // the host end of a port's veth pair

	preChain     = "ZUN-PRE"   // raw, from PREROUTING: each network's conntrack zone
	inputChain   = "ZUN-INPUT" // filter, from INPUT: nothing from a tenant network reaches the host
	fwdChain     = "ZUN-FWD"   // filter, from FORWARD: the frames our bridges forward
	ingressChain = "ZUN-I-"    // filter: a port's ingress rules
	egressChain  = "ZUN-O-"    // filter: a port's egress rules
	spoofChain   = "ZUN-S-"    // filter: a port's own source addresses
	keyLen       = 12          // hex digits of an id in a name
)

// deviceKey returns the part of an id that names its kernel objects: the
// first 12 hex digits, dashes removed, lower case.
func deviceKey(id string) (string, error) {
	key := strings.ToLower(strings.ReplaceAll(id, "-", ""))
	if len(key) < keyLen {
		return "", errors.New("the id has fewer than 12 hex digits")
	}
	key = key[:keyLen]
	if strings.Trim(key, "0123456789abcdef") != "" {
		return "", errors.New("the id does not start with 12 hex digits")
	}
	return key, nil
}

// mustKey is deviceKey of an id already validated.
func mustKey(id string) string {
	key, err := deviceKey(id)
	if err != nil {
		panic("netplane: unvalidated id " + id)
	}
	return key
}

func bridgeName(networkID string) string { return bridgePrefix + mustKey(networkID) }
func vxlanName(networkID string) string  { return vxlanPrefix + mustKey(networkID) }
func vethName(portID string) string      { return vethPrefix + mustKey(portID) }

// ours reports whether name is one of netplane's names with the given
// prefix: the prefix and 12 lower-case hex digits.
func ours(name, prefix string) bool {
	key, ok := strings.CutPrefix(name, prefix)
	return ok && len(key) == keyLen && strings.Trim(key, "0123456789abcdef") == ""
}

// ourChain reports whether a chain name is one of netplane's.
func ourChain(name string) bool {
	if name == preChain || name == inputChain || name == fwdChain {
		return true
	}
	return ours(name, ingressChain) || ours(name, egressChain) || ours(name, spoofChain)
}
