// Package registry is Zun's private image registries: a project's
// credentials for a registry domain, used when its containers' images are
// pulled from there. Passwords are stored sealed (AES-256-GCM, key in the
// control plane's data directory) and never shown again.
package registry

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// SchemaVersion is the version of the stored record.
const SchemaVersion = 1

// Registry is a project's credentials for a registry.
type Registry struct {
	Schema    int    `json:"schema"`
	UUID      string `json:"uuid"`
	Name      string `json:"name"`
	Domain    string `json:"domain"`
	Username  string `json:"username,omitempty"`
	ProjectID string `json:"project_id"`
	UserID    string `json:"user_id"`
	// SealedPassword is the password sealed by a Sealer; Password is it
	// in clear, set only in memory by whoever opens it.
	SealedPassword string    `json:"sealed_password,omitempty"`
	Password       string    `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}

// Store keeps registries, scoped by the context's principal.
type Store interface {
	Create(ctx context.Context, r *Registry) error
	// Find returns a registry by uuid, else by name; ErrConflict when the
	// name is ambiguous.
	Find(ctx context.Context, ident string) (*Registry, error)
	List(ctx context.Context) ([]*Registry, error)
	Update(ctx context.Context, uuid string, fn func(*Registry) error) (*Registry, error)
	Delete(ctx context.Context, uuid string) error
}

// Sealer seals and opens passwords with a 32-byte key.
type Sealer struct{ aead cipher.AEAD }

// NewSealer returns a sealer with key, which must be 32 bytes.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("registry key: want 32 bytes, have %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal returns password sealed for r (bound to its uuid: a sealed
// password copied to another record does not open).
func (s *Sealer) Seal(uuid, password string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(password), []byte(uuid))
	return base64.StdEncoding.EncodeToString(out), nil
}

// Open returns the password sealed for uuid.
func (s *Sealer) Open(uuid, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("registry password: malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(uuid))
	if err != nil {
		return "", errors.New("registry password: cannot open it with this key")
	}
	return string(plain), nil
}
