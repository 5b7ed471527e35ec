package keystone

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/zun-go/zun/auth"
)

// tokenKey is what the cache and the in-flight table know of a token: its
// SHA-256, so a memory dump of them yields no usable token.
type tokenKey [sha256.Size]byte

func keyOf(token string) tokenKey { return sha256.Sum256([]byte(token)) }

// result is the outcome of validating one token: a principal (without its
// Token field, which the caller fills in) or an unauthorized error.
type result struct {
	p   auth.Principal
	err error
}

// cache is a bounded LRU of validation results that expire.
type cache struct {
	size int

	mu      sync.Mutex
	entries map[tokenKey]*list.Element
	order   list.List // front: most recently used *entry
}

type entry struct {
	key     tokenKey
	res     result
	expires time.Time
}

func newCache(size int) *cache {
	return &cache{size: size, entries: make(map[tokenKey]*list.Element)}
}

// get returns the unexpired result for key, if any.
func (c *cache) get(key tokenKey, now time.Time) (result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return result{}, false
	}
	e := el.Value.(*entry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return result{}, false
	}
	c.order.MoveToFront(el)
	return e.res, true
}

// put remembers res until expires, forgetting the least recently used
// entry when the cache is full.
func (c *cache) put(key tokenKey, res result, expires time.Time) {
	if c.size <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*entry)
		e.res, e.expires = res, expires
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&entry{key: key, res: res, expires: expires})
	for c.order.Len() > c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*entry).key)
	}
}

// len returns the number of entries, expired ones included.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
