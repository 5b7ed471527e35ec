package network

import (
	"bytes"
	"encoding/json"
	"time"
)

// Neutron's standard attributes: every network, subnet, port and security
// group carries a revision_number that its revision plugin raises by one
// in each transaction that modifies the resource (a tag, a rule, a
// security group binding of a port included) and leaves as it was when an
// update changes nothing; updated_at is set on every update.

// stamped is a record with Neutron's update time and revision number.
type stamped interface {
	stamps() (rev *int, updated *time.Time)
}

func (n *Network) stamps() (*int, *time.Time)       { return &n.Revision, &n.UpdatedAt }
func (s *Subnet) stamps() (*int, *time.Time)        { return &s.Revision, &s.UpdatedAt }
func (p *Port) stamps() (*int, *time.Time)          { return &p.Revision, &p.UpdatedAt }
func (g *SecurityGroup) stamps() (*int, *time.Time) { return &g.Revision, &g.UpdatedAt }

// snapshot is r's stored form without its stamps, taken before an update
// so that revise can tell whether the update changed anything.
func snapshot(r stamped) []byte {
	rev, at := r.stamps()
	keepRev, keepAt := *rev, *at
	*rev, *at = 0, time.Time{}
	b, _ := json.Marshal(r)
	*rev, *at = keepRev, keepAt
	return b
}

// revise stamps r, updated from before (its snapshot): the update time,
// and one revision more if the update changed r.
func revise(r stamped, before []byte) {
	rev, at := r.stamps()
	if !bytes.Equal(before, snapshot(r)) {
		*rev++
	}
	*at = now()
}

// touch stamps r after a change the caller knows it made.
func touch(r stamped) {
	rev, at := r.stamps()
	*rev++
	*at = now()
}
