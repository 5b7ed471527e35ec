// Package keystone validates API tokens against an external OpenStack
// Keystone (identity v3), for deployments that already run one instead
// of zund's embedded identity service.
//
// The Validator authenticates as a service user (password, scoped to a
// project), keeps that token until shortly before it expires, and asks
// Keystone about each caller's token with GET /v3/auth/tokens. Answers are
// cached in memory, keyed by the token's SHA-256:
//
//   - a valid token is trusted for Config.CacheTTL (30s by default), never
//     past its expiry. A token revoked in Keystone therefore keeps working
//     for at most CacheTTL;
//   - a refused token is remembered for two seconds at most, which spares
//     Keystone a client retrying in a loop;
//   - Keystone being unreachable is never cached.
//
// Concurrent requests carrying the same uncached token make one request
// to Keystone.
package keystone

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

const (
	// negativeTTL is how long a refused token stays refused without
	// asking Keystone again.
	negativeTTL = 2 * time.Second
	// serviceTokenMargin is how long before its expiry the service token
	// is replaced (or half its remaining life, when that is shorter).
	serviceTokenMargin = time.Minute
	// defaultTimeout is the timeout of the default HTTP client.
	defaultTimeout = 10 * time.Second
)

// Validator turns tokens issued by Keystone into principals. It is safe
// for concurrent use.
type Validator struct {
	cfg      Config
	endpoint string
	client   *http.Client
	now      func() time.Time

	cache   *cache
	flights flights

	svcMu      sync.Mutex
	svcToken   string
	svcRefresh time.Time // when to replace svcToken
}

// New returns a Validator for cfg. It does not contact Keystone: the first
// validation does.
func New(cfg Config) (*Validator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := &Validator{
		cfg:      cfg,
		endpoint: cfg.endpoint(),
		client:   cfg.HTTPClient,
		now:      time.Now,
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: defaultTimeout}
	}
	size := cfg.CacheSize
	if cfg.CacheTTL == 0 {
		size = 0
	}
	v.cache = newCache(size)
	return v, nil
}

// Validate returns who token stands for. A token Keystone does not
// accept, or one not scoped to a project, is errdefs.ErrUnauthorized; a
// Keystone that cannot be reached or refuses the service credentials is
// errdefs.ErrUnavailable.
func (v *Validator) Validate(ctx context.Context, token string) (auth.Principal, error) {
	if token == "" {
		return auth.Principal{}, errdefs.Unauthorizedf("no token")
	}
	key := keyOf(token)
	res, ok := v.cache.get(key, v.now())
	if !ok {
		var err error
		res, err = v.flights.do(ctx, key, func(ctx context.Context) result {
			// A flight that ended just before this one began has filled
			// the cache.
			if res, ok := v.cache.get(key, v.now()); ok {
				return res
			}
			return v.lookup(ctx, key, token)
		})
		if err != nil {
			return auth.Principal{}, errdefs.Unavailablef("keystone: validating a token: %w", err)
		}
	}
	if res.err != nil {
		return auth.Principal{}, res.err
	}
	p := res.p
	p.Roles = slices.Clone(p.Roles)
	p.Token = token
	return p, nil
}

// lookup asks Keystone about token and caches the answer, unless Keystone
// could not give one.
func (v *Validator) lookup(ctx context.Context, key tokenKey, token string) result {
	p, expires, err := v.checkWithServiceToken(ctx, token)
	now := v.now()
	switch {
	case err == nil:
		until := now.Add(v.cfg.CacheTTL)
		if !expires.IsZero() && expires.Before(until) {
			until = expires
		}
		v.cache.put(key, result{p: p}, until)
	case errors.Is(err, errdefs.ErrUnauthorized):
		v.cache.put(key, result{err: err}, now.Add(min(negativeTTL, v.cfg.CacheTTL)))
	}
	return result{p: p, err: err}
}

// checkWithServiceToken validates token, authenticating again once if
// Keystone no longer accepts the service token.
func (v *Validator) checkWithServiceToken(ctx context.Context, token string) (auth.Principal, time.Time, error) {
	for attempt := 0; ; attempt++ {
		svc, err := v.serviceToken(ctx)
		if err != nil {
			return auth.Principal{}, time.Time{}, err
		}
		p, expires, err := v.check(ctx, svc, token)
		if !errors.Is(err, errServiceTokenRejected) {
			return p, expires, err
		}
		v.dropServiceToken(svc)
		if attempt > 0 {
			return auth.Principal{}, time.Time{}, errdefs.Unavailablef("keystone at %s: %v, even just after authenticating service user %q", v.endpoint, err, v.cfg.Username)
		}
	}
}

// serviceToken returns the current service token, authenticating when
// there is none or it is about to expire. One authentication runs at a
// time; the callers waiting for it get its token.
func (v *Validator) serviceToken(ctx context.Context) (string, error) {
	v.svcMu.Lock()
	defer v.svcMu.Unlock()
	now := v.now()
	if v.svcToken != "" && now.Before(v.svcRefresh) {
		return v.svcToken, nil
	}
	token, expires, err := v.authenticate(ctx)
	if err != nil {
		return "", err
	}
	v.svcToken = token
	if expires.IsZero() {
		// Keystone did not say; ask again soon rather than never.
		v.svcRefresh = now.Add(serviceTokenMargin)
	} else {
		v.svcRefresh = expires.Add(-min(serviceTokenMargin, expires.Sub(now)/2))
	}
	return token, nil
}

// dropServiceToken forgets token if it is still the current service token.
func (v *Validator) dropServiceToken(token string) {
	v.svcMu.Lock()
	defer v.svcMu.Unlock()
	if v.svcToken == token {
		v.svcToken = ""
	}
}
