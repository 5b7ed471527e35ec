package store

import "time"

// Touch marks a guard key as changed in t: it writes the time at key, once
// however often asked. A guard is a key that writers touch so that a
// check-then-write on what it covers fails (a ConflictError) when another
// transaction touched it in between: read its revision (Get; 0 when
// absent), then Require that revision in the writing transaction.
func (t *Txn) Touch(key string) *Txn {
	if t.touched[key] {
		return t
	}
	if t.touched == nil {
		t.touched = map[string]bool{}
	}
	t.touched[key] = true
	return t.Put(key, time.Now().UnixNano())
}
