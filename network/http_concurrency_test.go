package network_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// createPorts makes n ports on net at once over HTTP and returns the
// addresses of those made and the statuses of those refused.
func (e *env) createPorts(n int, net string) (addrs map[string]string, refused []int) {
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	addrs = map[string]string{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out := e.call("alice", "POST", "/v2.0/ports", fmt.Sprintf(`{"port": {"network_id": %q, "name": "c%d"}}`, net, i))
			mu.Lock()
			defer mu.Unlock()
			if code != http.StatusCreated {
				refused = append(refused, code)
				if code != http.StatusConflict {
					e.t.Errorf("port %d: %d %v", i, code, out)
				}
				return
			}
			p := out["port"].(map[string]any)
			ip := p["fixed_ips"].([]any)[0].(map[string]any)["ip_address"].(string)
			if other, dup := addrs[ip]; dup {
				e.t.Errorf("ports %s and %s both got %s", other, p["id"], ip)
			}
			addrs[ip] = p["id"].(string)
		}()
	}
	wg.Wait()
	return addrs, refused
}

// TestConcurrentPorts: ports made at once get distinct addresses; when a
// subnet runs out, the ports refused leave nothing behind.
func TestConcurrentPorts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	net, _ := e.network("alice", "big", "10.20.0.0/26") // 62 hosts, 61 after the gateway
	addrs, refused := e.createPorts(40, net)
	if len(addrs) != 40 || len(refused) != 0 {
		t.Fatalf("40 ports on a /26: %d made, %v refused", len(addrs), refused)
	}
	if got := e.ids("alice", "/v2.0/ports?network_id="+net); len(got) != 40 {
		t.Fatalf("%d ports listed, want 40", len(got))
	}

	small, sub := e.network("alice", "small", "10.21.0.0/29") // 6 hosts, 5 after the gateway
	addrs, refused = e.createPorts(9, small)
	if len(addrs) != 5 || len(refused) != 4 {
		t.Fatalf("9 ports on a /29: %d made (%v), %v refused", len(addrs), addrs, refused)
	}
	e.refused(409, "alice", "POST", "/v2.0/ports", fmt.Sprintf(`{"port": {"network_id": %q}}`, small), "No more IP addresses")
	ports := e.ids("alice", "/v2.0/ports?network_id="+small)
	if len(ports) != 5 {
		t.Fatalf("%d ports listed on the full subnet, want 5", len(ports))
	}
	// Nothing half-made: with its ports gone, every address is free again.
	for _, id := range ports {
		e.expect(204, "alice", "DELETE", "/v2.0/ports/"+id, "")
	}
	if addrs, refused = e.createPorts(5, small); len(addrs) != 5 || len(refused) != 0 {
		t.Fatalf("the freed subnet: %d made, %v refused", len(addrs), refused)
	}
	for _, id := range addrs {
		e.expect(204, "alice", "DELETE", "/v2.0/ports/"+id, "")
	}
	e.expect(204, "alice", "DELETE", "/v2.0/subnets/"+sub, "")
}
