package netplane

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*Config)
		says   string // "" when valid
	}{
		{"example", func(*Config) {}, ""},
		{"empty", func(c *Config) { *c = Config{} }, ""},
		{"VNI 0", func(c *Config) { c.Networks[0].VNI = 0 }, "VNI 0 is not in 1..16777215"},
		{"VNI too large", func(c *Config) { c.Networks[0].VNI = 1 << 24 }, "VNI 16777216"},
		{"VNI twice", func(c *Config) { c.Networks[1].VNI = c.Networks[0].VNI }, "is network"},
		{"short network id", func(c *Config) { c.Networks[0].ID = "net1" }, "fewer than 12 hex digits"},
		{"network id not hex", func(c *Config) { c.Networks[0].ID = "network-0000-1111" }, "does not start with 12 hex digits"},
		{"network twice", func(c *Config) { c.Networks[1] = c.Networks[0] }, "listed twice"},
		{"network names collide", func(c *Config) { c.Networks[1].ID = strings.ToUpper(netB[:14]) + "ffff" }, "collide"},
		{"MTU", func(c *Config) { c.Networks[0].MTU = 20 }, "MTU 20"},
		{"remote", func(c *Config) { c.Networks[0].Remotes = []netip.Addr{{}} }, "not a unicast address"},
		{"port on unknown network", func(c *Config) { c.Ports[0].NetworkID = netA[:35] + "0" }, "is not in the config"},
		{"port twice", func(c *Config) { c.Ports[1].ID = c.Ports[0].ID }, "listed twice"},
		{"bad MAC", func(c *Config) { c.Ports[0].MAC = "fa:16:3e:00:00" }, "not an Ethernet address"},
		{"EUI-64 MAC", func(c *Config) { c.Ports[0].MAC = "fa:16:3e:00:00:01:02:03" }, "not an Ethernet address"},
		{"multicast MAC", func(c *Config) { c.Ports[0].MAC = "01:00:5e:00:00:01" }, "not a unicast address"},
		{"zero MAC", func(c *Config) { c.Ports[0].MAC = zeroMAC }, "not a unicast address"},
		{"address", func(c *Config) { c.Ports[0].Addresses = prefixes("0.0.0.0/0") }, "not a unicast address"},
		{"protocol", func(c *Config) { c.Ports[1].Ingress[0].Protocol = "http" }, `ingress rule 1: protocol "http"`},
		{"protocol number", func(c *Config) { c.Ports[1].Ingress[0].Protocol = "256" }, `protocol "256"`},
		{"port range", func(c *Config) { c.Ports[1].Ingress[0].PortMin = 90 }, "port range 90..80"},
		{"port 0", func(c *Config) { c.Ports[1].Ingress[0].PortMin = 0 }, "port range 0..80"},
		{"ports without protocol", func(c *Config) { c.Ports[0].Egress = []Rule{{PortMin: 80, PortMax: 80}} }, "egress rule 1: a port range needs"},
		{"ICMP code without type", func(c *Config) { c.Ports[1].Ingress[2].PortMin = 0; c.Ports[1].Ingress[2].PortMax = 1 }, "code 1 is given without a type"},
		{"ICMP type", func(c *Config) { c.Ports[1].Ingress[2].PortMin = 256 }, "icmp type 256"},
		{"remote prefix", func(c *Config) { c.Ports[1].Ingress[0].Remotes = []netip.Prefix{{}} }, "is not a prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := example()
			tc.change(&cfg)
			err := cfg.Validate()
			switch {
			case tc.says == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.says == "":
			case !errdefs.IsInvalid(err):
				t.Fatalf("Validate: got %v, want ErrInvalid", err)
			case !strings.Contains(err.Error(), tc.says):
				t.Errorf("error %q does not say %q", err, tc.says)
			}
		})
	}
}

func TestValidateTunnel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		tunnel string
		remote string
		says   string
	}{
		{"no tunnel IP", "", "192.0.2.2", "no tunnel IP"},
		{"remote of another family", "192.0.2.1", "2001:db8::2", "not of the tunnel IP"},
		{"remote is this host", "192.0.2.1", "192.0.2.1", "this host's tunnel IP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &Plane{}
			if tc.tunnel != "" {
				p.TunnelIP = netip.MustParseAddr(tc.tunnel)
			}
			cfg := example()
			cfg.Networks[0].Remotes = []netip.Addr{netip.MustParseAddr(tc.remote)}
			err := p.validate(cfg)
			if !errdefs.IsInvalid(err) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("validate: got %v, want ErrInvalid saying %q", err, tc.says)
			}
		})
	}
}
