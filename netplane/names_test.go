package netplane

import "testing"

func TestNames(t *testing.T) {
	t.Parallel()
	const id = "0A1B2C3D-4e5f-4a5b-8c7d-9e0f1a2b3c4d"
	for _, tc := range []struct{ got, want string }{
		{bridgeName(id), "zb0a1b2c3d4e5f"},
		{vxlanName(id), "zx0a1b2c3d4e5f"},
		{vethName(id), "zv0a1b2c3d4e5f"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
		if len(tc.got) > 15 {
			t.Errorf("%q is longer than an interface name can be", tc.got)
		}
	}
	for _, tc := range []struct {
		name string
		ours bool
	}{
		{"zb0a1b2c3d4e5f", true},
		{"zb0a1b2c3d4e5", false},   // short
		{"zb0a1b2c3d4e5fa", false}, // long
		{"zbox", false},
		{"zb0A1B2C3D4E5F", false}, // we never make upper case
		{"docker0", false},
	} {
		if got := ours(tc.name, bridgePrefix); got != tc.ours {
			t.Errorf("ours(%q): got %v, want %v", tc.name, got, tc.ours)
		}
	}
	for _, tc := range []struct {
		name string
		ours bool
	}{
		{"ZUN-FWD", true},
		{"ZUN-PRE", true},
		{"ZUN-I-0a1b2c3d4e5f", true},
		{"ZUN-O-0a1b2c3d4e5f", true},
		{"ZUN-S-0a1b2c3d4e5f", true},
		{"ZUN-X-0a1b2c3d4e5f", false},
		{"ZUN-I-0a1b", false},
		{"DOCKER-USER", false},
	} {
		if got := ourChain(tc.name); got != tc.ours {
			t.Errorf("ourChain(%q): got %v, want %v", tc.name, got, tc.ours)
		}
	}
}
