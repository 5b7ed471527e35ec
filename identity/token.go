package identity

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Tokens are self-contained and signed: "zt1." + base64url(claims) + "." +
// base64url(HMAC-SHA256(signing key, claims)). Validation needs no store
// read: check the signature and expiry, then look up the user, project and
// roles in memory, so a deleted or disabled user, a removed role or a
// changed password takes effect at once. Revocation lists the token's
// audit id until the token would have expired, and revocation events keep
// the tokens issued before a change dead after it is undone (revoke.go).

const tokenPrefix = "zt1."

// claims is what a token says.
type claims struct {
	UserID    string   `json:"u"`
	ProjectID string   `json:"p,omitempty"`
	DomainID  string   `json:"d,omitempty"`
	Methods   []string `json:"m"`
	IssuedAt  int64    `json:"i"` // unix nanoseconds
	ExpiresAt int64    `json:"e"` // unix seconds
	// AuditIDs: this token's audit id, then its parent's when it was
	// obtained with another token (Keystone's audit chain).
	AuditIDs []string `json:"a"`
	// Rev is the store revision of the identity records the token was
	// issued on: revocation events recorded after it apply to it.
	Rev int64 `json:"r,omitempty"`
}

func (c claims) issued() time.Time  { return time.Unix(0, c.IssuedAt).UTC() }
func (c claims) expires() time.Time { return time.Unix(c.ExpiresAt, 0).UTC() }

var errBadToken = errors.New("malformed or forged token")

func sign(key []byte, c claims) (string, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	enc := base64.RawURLEncoding
	return tokenPrefix + enc.EncodeToString(body) + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// verify checks the signature of token and returns its claims; it does not
// check expiry or revocation.
func verify(key []byte, token string) (claims, error) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok || len(key) == 0 {
		return claims{}, errBadToken
	}
	b64, sig64, ok := strings.Cut(rest, ".")
	if !ok {
		return claims{}, errBadToken
	}
	enc := base64.RawURLEncoding
	body, err1 := enc.DecodeString(b64)
	sig, err2 := enc.DecodeString(sig64)
	if err1 != nil || err2 != nil {
		return claims{}, errBadToken
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return claims{}, errBadToken
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil || c.UserID == "" || len(c.AuditIDs) == 0 {
		return claims{}, errBadToken
	}
	return c, nil
}

// newAuditID returns a random id in Keystone's style (22 url-safe chars).
func newAuditID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newID returns a random 32-hex-digit id, Keystone's shape.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
