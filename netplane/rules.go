package netplane

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// Family is an IP version; each has its own tables and restore command.
type Family int

const (
	IPv4 Family = 4 // iptables
	IPv6 Family = 6 // ip6tables
)

func (f Family) has(a netip.Addr) bool { return a.Is4() == (f == IPv4) }

// restoreCommand and saveCommand are the family's iptables commands.
func (f Family) restoreCommand() string {
	if f == IPv6 {
		return "ip6tables-restore"
	}
	return "iptables-restore"
}

func (f Family) saveCommand() string {
	if f == IPv6 {
		return "ip6tables-save"
	}
	return "iptables-save"
}

// neighbourDiscovery are the ICMPv6 types IPv6 needs on a link, accepted
// for every port as ARP is for IPv4: router solicitation, neighbour
// solicitation and advertisement, and multicast listener query, report,
// done and v2 report. Router advertisements (134) are not among them:
// containers are not routers.
var neighbourDiscovery = []int{130, 131, 132, 133, 135, 136, 143}

// Ruleset renders the input of `iptables-restore --noflush` (of
// ip6tables-restore for IPv6) that gives a host without any of netplane's
// rules those cfg needs; cfg must be valid. Restoring it replaces each
// chain it names wholesale and inserts the jumps to netplane's chains at
// the top of PREROUTING, INPUT and FORWARD; it touches nothing else.
//
//	raw     PREROUTING → ZUN-PRE   for packets from our bridges: each network
//	                               in its own conntrack zone, so equal
//	                               addresses in two networks never share a
//	                               connection
//	filter  INPUT → ZUN-INPUT      for packets from our bridges to the host:
//	                               dropped, tenants never reach the host
//	filter  FORWARD → ZUN-FWD      for packets to or from our bridges: those
//	                               the host would route dropped, tenants never
//	                               get past their bridge; for frames bridged,
//	                               every secured port's through its ZUN-S-
//	                               (anti-spoofing); replies accepted; INVALID
//	                               dropped; new traffic from a secured port
//	                               through its ZUN-O- (egress rules, RETURN or
//	                               DROP) and to one through its ZUN-I- (ingress
//	                               rules, ACCEPT or DROP); the rest accepted:
//	                               traffic of ports without security, and to a
//	                               VXLAN device (the far host checks ingress)
//
// Apply renders the same against what the kernel holds, so that stale
// chains are deleted and each jump is there exactly once.
func Ruleset(cfg Config, f Family) string {
	return restoreInput(cfg, f, installed{})
}

// A jump is a rule netplane adds to a built-in chain.
type jump struct {
	table, builtin, rule, chain string
}

// jumps are netplane's rules in built-in chains, at the top of each, for
// the packets of its bridges (the zb+ wildcard).
var jumps = []jump{
	{"raw", "PREROUTING", "-i zb+ -j " + preChain, preChain},
	{"filter", "INPUT", "-i zb+ -j " + inputChain, inputChain},
	{"filter", "FORWARD", "-o zb+ -j " + fwdChain, fwdChain},
	{"filter", "FORWARD", "-i zb+ -j " + fwdChain, fwdChain},
}

// installed is what one family's tables hold of netplane's, as read with
// iptables-save, or as netplane left them (restored).
type installed struct {
	chains map[string][]string // table → our chains in it
	jumps  map[jump]int        // how many times each jump is there
	// rules, when known, are each chain's rules (table → chain → rules):
	// a chain wanted with the same rules is left alone. iptables-save's
	// output is not parsed for them (it rewrites rules in its own words),
	// so after reading the kernel every chain is written.
	rules map[string]map[string][]string
}

// restored is what the kernel holds of netplane's after the restoreInput
// of cfg: exactly cfg's chains and rules, and one of each of their jumps.
func restored(cfg Config, f Family) installed {
	have := installed{chains: map[string][]string{}, jumps: map[jump]int{}, rules: map[string]map[string][]string{}}
	for _, t := range render(cfg, f) {
		have.chains[t.name] = slices.Clone(t.chains)
		have.rules[t.name] = t.lines
		for _, j := range jumps {
			if _, ok := t.lines[j.chain]; ok && j.table == t.name {
				have.jumps[j] = 1
			}
		}
	}
	return have
}

// parseInstalled reads the output of iptables-save.
func parseInstalled(save string) installed {
	have := installed{chains: map[string][]string{}, jumps: map[jump]int{}}
	table := ""
	for line := range strings.Lines(save) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, ":"):
			name, _, _ := strings.Cut(line[1:], " ")
			if ourChain(name) {
				have.chains[table] = append(have.chains[table], name)
			}
		default:
			for _, j := range jumps {
				if table == j.table && line == "-A "+j.builtin+" "+j.rule {
					have.jumps[j]++
				}
			}
		}
	}
	return have
}

// restoreInput is Ruleset plus what converges the kernel from have: stale
// chains deleted, each jump there exactly once if its chain is wanted and
// not at all otherwise.
// When have knows the rules of its chains (netplane restored them itself),
// only the chains that change are written.
func restoreInput(cfg Config, f Family, have installed) string {
	var b strings.Builder
	for _, t := range render(cfg, f) {
		t.write(&b, have)
	}
	return b.String()
}

// render renders cfg's tables, raw then filter.
func render(cfg Config, f Family) []*table {
	raw := newTable("raw")
	filter := newTable("filter")
	if len(cfg.Networks) > 0 {
		raw.rules(preChain, zoneRules(cfg)...)
		filter.rules(inputChain, "-j DROP")
		renderForward(filter, cfg, f)
	}
	return []*table{raw, filter}
}

// table collects the chains of one table in the order they are added.
type table struct {
	name   string
	chains []string
	lines  map[string][]string // chain → its rules' matches and targets
}

func newTable(name string) *table { return &table{name: name, lines: map[string][]string{}} }

// rules appends rules to a chain, declaring it first; a rule the chain
// already has is dropped (security groups often overlap).
func (t *table) rules(chain string, rules ...string) {
	if _, ok := t.lines[chain]; !ok {
		t.chains = append(t.chains, chain)
		t.lines[chain] = nil
	}
	for _, r := range rules {
		if !slices.Contains(t.lines[chain], r) {
			t.lines[chain] = append(t.lines[chain], r)
		}
	}
}

// write renders the table against what the kernel has: its chains
// declared (which flushes them) and filled, but for those the kernel is
// known to have with the same rules already; stale ones flushed and
// deleted, the jumps to its chains made exactly one, or none for chains
// not wanted. Nothing is written when there is nothing to do.
//
// A chain whose rules the kernel is known to have is patched rather than
// written, when that is shorter: the rules it loses deleted, those it gains
// inserted in place. A new port so adds its few rules to ZUN-FWD instead of
// writing ZUN-FWD's three rules per port again.
func (t *table) write(b *strings.Builder, have installed) {
	var changed, patches []string
	for _, c := range t.chains {
		rules, ok := have.rules[t.name][c]
		switch {
		case ok && slices.Equal(rules, t.lines[c]):
		case ok && patchable(rules, t.lines[c]):
			patches = append(patches, patch(c, rules, t.lines[c])...)
		default:
			changed = append(changed, c)
		}
	}
	var stale []string
	for _, c := range have.chains[t.name] {
		if _, ok := t.lines[c]; !ok {
			stale = append(stale, c)
		}
	}
	slices.Sort(stale)
	var deletes, inserts []string
	for _, j := range jumps {
		if j.table != t.name {
			continue
		}
		_, wanted := t.lines[j.chain]
		n := have.jumps[j]
		if wanted && n == 0 {
			inserts = append(inserts, fmt.Sprintf("-I %s 1 %s", j.builtin, j.rule))
		}
		if wanted && n > 0 {
			n-- // keep one
		}
		for range n {
			deletes = append(deletes, fmt.Sprintf("-D %s %s", j.builtin, j.rule))
		}
	}
	if len(changed) == 0 && len(patches) == 0 && len(stale) == 0 && len(deletes) == 0 && len(inserts) == 0 {
		return
	}
	fmt.Fprintf(b, "*%s\n", t.name)
	for _, c := range append(slices.Clone(changed), stale...) {
		fmt.Fprintf(b, ":%s - [0:0]\n", c)
	}
	for _, d := range deletes {
		fmt.Fprintln(b, d)
	}
	for _, c := range changed {
		for _, r := range t.lines[c] {
			fmt.Fprintf(b, "-A %s %s\n", c, r)
		}
	}
	for _, p := range patches {
		fmt.Fprintln(b, p)
	}
	for _, i := range inserts {
		fmt.Fprintln(b, i)
	}
	for _, c := range stale {
		fmt.Fprintf(b, "-X %s\n", c)
	}
	b.WriteString("COMMIT\n")
}

// patchable reports whether patch turns a chain's rules from have into
// want in fewer lines than writing want: the rules both have are in the
// same order in each, and few rules change. Rules of a chain are unique
// (table.rules), so a rule deleted by its text is that one.
func patchable(have, want []string) bool {
	inHave, inWant := set(have), set(want)
	kept := slices.DeleteFunc(slices.Clone(have), func(r string) bool { return !inWant[r] })
	if !slices.Equal(kept, slices.DeleteFunc(slices.Clone(want), func(r string) bool { return !inHave[r] })) {
		return false
	}
	return (len(have)-len(kept))+(len(want)-len(kept)) < len(want)
}

// patch turns a chain's rules from have into want, as patchable allows:
// the rules want lacks deleted, then those it adds inserted at their
// places, first to last, so that each lands after the ones before it.
func patch(chain string, have, want []string) []string {
	inHave, inWant := set(have), set(want)
	var lines []string
	n := len(have)
	for _, r := range have {
		if !inWant[r] {
			lines = append(lines, fmt.Sprintf("-D %s %s", chain, r))
			n--
		}
	}
	for i, r := range want {
		switch {
		case inHave[r]:
		case i == n: // at the end
			lines = append(lines, fmt.Sprintf("-A %s %s", chain, r))
			n++
		default:
			lines = append(lines, fmt.Sprintf("-I %s %d %s", chain, i+1, r))
			n++
		}
	}
	return lines
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// zoneRules puts each network's bridged traffic in its conntrack zone.
func zoneRules(cfg Config) []string {
	zones := conntrackZones(cfg.Networks)
	networks := slices.SortedFunc(slices.Values(cfg.Networks), func(a, b Network) int { return cmp.Compare(a.ID, b.ID) })
	var rules []string
	for _, n := range networks {
		rules = append(rules, fmt.Sprintf("-i %s -j CT --zone %d", bridgeName(n.ID), zones[n.ID]))
	}
	return rules
}

// conntrackZones gives each network a conntrack zone, 1..65535: its VNI
// folded into that range, or the next free one if another network of the
// host has it (networks taken in the order of their ids). A network keeps
// its zone as long as no colliding network comes before it, so its
// connections survive other networks coming and going.
func conntrackZones(networks []Network) map[string]int {
	sorted := slices.SortedFunc(slices.Values(networks), func(a, b Network) int { return cmp.Compare(a.ID, b.ID) })
	zones, taken := map[string]int{}, map[int]bool{}
	for _, n := range sorted {
		z := (n.VNI-1)%65535 + 1
		for taken[z] {
			z = z%65535 + 1
		}
		zones[n.ID], taken[z] = z, true
	}
	return zones
}

// renderForward fills ZUN-FWD and the ports' chains.
func renderForward(t *table, cfg Config, f Family) {
	secured := slices.DeleteFunc(slices.Clone(cfg.Ports), func(p Port) bool { return !p.SecurityEnabled })
	slices.SortFunc(secured, func(a, b Port) int { return cmp.Compare(a.ID, b.ID) })

	t.rules(fwdChain, "-m physdev ! --physdev-is-bridged -j DROP") // routed, not bridged
	for _, p := range secured {
		t.rules(fwdChain, fmt.Sprintf("-m physdev --physdev-in %s --physdev-is-bridged -j %s", vethName(p.ID), spoofChain+mustKey(p.ID)))
	}
	t.rules(fwdChain, "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
	if f == IPv6 {
		for _, typ := range neighbourDiscovery {
			t.rules(fwdChain, fmt.Sprintf("-p ipv6-icmp -m icmp6 --icmpv6-type %d -j ACCEPT", typ))
		}
	}
	t.rules(fwdChain, "-m conntrack --ctstate INVALID -j DROP")
	for _, p := range secured {
		key := mustKey(p.ID)
		t.rules(fwdChain,
			fmt.Sprintf("-m physdev --physdev-in %s --physdev-is-bridged -j %s", vethName(p.ID), egressChain+key),
			fmt.Sprintf("-m physdev --physdev-out %s --physdev-is-bridged -j %s", vethName(p.ID), ingressChain+key))
	}
	t.rules(fwdChain, "-j ACCEPT")

	for _, p := range secured {
		key := mustKey(p.ID)
		t.rules(spoofChain+key, spoofRules(p, f)...)
		t.rules(egressChain+key, allowRules(p.Egress, f, "-d", "RETURN")...)
		t.rules(egressChain+key, "-j DROP")
		t.rules(ingressChain+key, allowRules(p.Ingress, f, "-s", "ACCEPT")...)
		t.rules(ingressChain+key, "-j DROP")
	}
}

// spoofRules let a port send from its own MAC and addresses only. For IPv6
// its link-local address (EUI-64, from the MAC) counts as its own, and so
// does the unspecified address for duplicate address detection and
// multicast listener reports.
func spoofRules(p Port, f Family) []string {
	hw, _ := net.ParseMAC(p.MAC)
	mac := "-m mac --mac-source " + strings.ToUpper(hw.String())
	var rules []string
	var sources []netip.Addr
	if f == IPv6 {
		rules = append(rules, "-p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP")
		for _, typ := range []int{131, 135, 143} {
			rules = append(rules, fmt.Sprintf("-s ::/128 -p ipv6-icmp -m icmp6 --icmpv6-type %d %s -j RETURN", typ, mac))
		}
		sources = append(sources, linkLocal(hw))
	}
	for _, a := range p.Addresses {
		if f.has(a.Addr()) {
			sources = append(sources, a.Addr())
		}
	}
	for _, s := range sources {
		rules = append(rules, fmt.Sprintf("-s %s %s -j RETURN", netip.PrefixFrom(s, s.BitLen()), mac))
	}
	return append(rules, "-j DROP")
}

// linkLocal is the EUI-64 link-local address of a MAC, the one the kernel
// gives an interface by default.
func linkLocal(mac net.HardwareAddr) netip.Addr {
	a := [16]byte{0: 0xfe, 1: 0x80}
	copy(a[8:], []byte{mac[0] ^ 2, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]})
	return netip.AddrFrom16(a)
}

// allowRules renders security group rules for one family: each rule once
// per remote prefix of that family (addr is "-s" for ingress, "-d" for
// egress), jumping to target.
func allowRules(rules []Rule, f Family, addr, target string) []string {
	var lines []string
	for _, r := range rules {
		match, ok := protocolMatch(r, f)
		if !ok {
			continue
		}
		if r.Remotes == nil {
			lines = append(lines, strings.TrimPrefix(match+" -j "+target, " "))
			continue
		}
		for _, remote := range r.Remotes {
			if f.has(remote.Addr()) {
				lines = append(lines, fmt.Sprintf("%s %s%s -j %s", addr, remote.Masked(), match, target))
			}
		}
	}
	return lines
}

// protocolMatch renders the protocol part of a rule for a family, with a
// leading space, or false if the rule cannot match that family.
func protocolMatch(r Rule, f Family) (string, bool) {
	proto, _ := protocol(r.Protocol)
	switch proto {
	case "":
		return "", true
	case "tcp", "udp", "sctp":
		if r.PortMin == 0 {
			return " -p " + proto, true
		}
		ports := fmt.Sprint(r.PortMin)
		if r.PortMax != r.PortMin {
			ports += fmt.Sprintf(":%d", r.PortMax)
		}
		return fmt.Sprintf(" -p %s -m %s --dport %s", proto, proto, ports), true
	case "icmp", "icmpv6":
		if proto == "icmpv6" && f == IPv4 {
			return "", false
		}
		name, module, option := "icmp", "icmp", "--icmp-type"
		if f == IPv6 {
			name, module, option = "ipv6-icmp", "icmp6", "--icmpv6-type"
		}
		if r.PortMin == 0 {
			return " -p " + name, true
		}
		typ := fmt.Sprint(r.PortMin)
		if r.PortMax != 0 {
			typ += fmt.Sprintf("/%d", r.PortMax)
		}
		return fmt.Sprintf(" -p %s -m %s %s %s", name, module, option, typ), true
	default:
		return " -p " + proto, true
	}
}
