// Package fakes has in-memory stand-ins for every port, for tests that
// exercise the use cases without a database, a real clock or real crypto.
package fakes

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"auth-service/domain"
	"auth-service/ports"
)

var (
	_ ports.Clock          = (*Clock)(nil)
	_ ports.Random         = (*Random)(nil)
	_ ports.Transactor     = (*Transactor)(nil)
	_ ports.PasswordHasher = (*Hasher)(nil)
	_ ports.AccessTokens   = (*Tokens)(nil)
)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Random hands out predictable, distinct tokens and ids.
type Random struct {
	mu sync.Mutex
	n  uint64
}

func (r *Random) next() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	return r.n
}

// Token returns a distinct 32-byte token, base64url-encoded.
func (r *Random) Token() (string, error) {
	var b [32]byte
	binary.BigEndian.PutUint64(b[24:], r.next())
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// NewID returns a distinct UUID-shaped id.
func (r *Random) NewID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", r.next())
}

// Transactor serialises transactions; the fake stores do not roll back.
type Transactor struct {
	mu sync.Mutex
}

// InTx runs fn while holding the transaction lock.
func (t *Transactor) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return fn(ctx)
}

// Hasher is a fast, insecure hasher for tests. Hashes made with a version
// below Version need a rehash. It counts its calls.
type Hasher struct {
	mu       sync.Mutex
	Version  int
	Hashes   int
	Verifies int
	// AfterVerify, when set, runs once after the next Verify, standing for
	// whatever another request does while a password is being checked.
	AfterVerify func()
}

// Hash returns "fake$v<version>$<pw>".
func (h *Hasher) Hash(_ context.Context, pw string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Hashes++
	return fmt.Sprintf("fake$v%d$%s", h.Version, pw), nil
}

// Verify checks pw against a hash made by Hash.
func (h *Hasher) Verify(_ context.Context, pw, encoded string) (bool, error) {
	h.mu.Lock()
	after := h.AfterVerify
	h.AfterVerify = nil
	h.mu.Unlock()
	if after != nil {
		defer after()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Verifies++
	parts := strings.SplitN(encoded, "$", 3)
	if len(parts) != 3 || parts[0] != "fake" {
		return false, errors.New("fake hasher: malformed hash")
	}
	return parts[2] == pw, nil
}

// NeedsRehash reports whether encoded was made with an older version.
func (h *Hasher) NeedsRehash(encoded string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !strings.HasPrefix(encoded, fmt.Sprintf("fake$v%d$", h.Version))
}

// Counts returns how many hashes and verifications were made.
func (h *Hasher) Counts() (hashes, verifies int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.Hashes, h.Verifies
}

// Tokens issues opaque access tokens that it remembers; Verify refuses
// anything it did not issue and anything past its expiry on Clock.
type Tokens struct {
	Clock  ports.Clock
	mu     sync.Mutex
	issued map[string]ports.AccessClaims
}

// Issue remembers c under a new token.
func (t *Tokens) Issue(_ context.Context, c ports.AccessClaims) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.issued == nil {
		t.issued = map[string]ports.AccessClaims{}
	}
	tok := "access-" + c.TokenID
	t.issued[tok] = c
	return tok, nil
}

// Verify returns the claims of an issued, unexpired token.
func (t *Tokens) Verify(_ context.Context, token string) (ports.AccessClaims, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.issued[token]
	if !ok || !t.Clock.Now().Before(c.ExpiresAt) {
		return ports.AccessClaims{}, fmt.Errorf("fake token: %w", domain.ErrUnauthenticated)
	}
	return c, nil
}

// PublicKeys returns an empty key set.
func (t *Tokens) PublicKeys(context.Context) ([]byte, error) {
	return []byte(`{"keys":[]}`), nil
}
