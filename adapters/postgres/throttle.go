package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"auth-service/ports"
)

// Throttle is the PostgreSQL Throttle: a sliding window over the attempts
// table, so every instance sharing the database counts together. Keys are
// stored as SHA-256, never in clear.
type Throttle struct {
	db     *DB
	scope  string
	max    int
	window time.Duration
	clock  ports.Clock
}

var _ ports.Throttle = (*Throttle)(nil)

// NewThrottle returns a throttle of limit attempts per window, its keys
// apart from those of other scopes.
func NewThrottle(db *DB, scope string, limit int, window time.Duration, clock ports.Clock) *Throttle {
	return &Throttle{db: db, scope: scope, max: max(limit, 1), window: window, clock: clock}
}

func (t *Throttle) hash(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// Blocked reports whether key made max attempts inside the window, and
// how long until the oldest of those leaves it.
func (t *Throttle) Blocked(ctx context.Context, key string) (bool, time.Duration, error) {
	now := t.clock.Now()
	var recent []time.Time
	err := sqlxSelect(ctx, t.db, &recent, `
		SELECT at FROM attempts
		WHERE scope = $1 AND key_hash = $2 AND at > $3
		ORDER BY at DESC LIMIT $4`, t.scope, t.hash(key), now.Add(-t.window), t.max)
	if err != nil {
		return false, 0, fmt.Errorf("read attempts: %w", err)
	}
	if len(recent) < t.max {
		return false, 0, nil
	}
	return true, recent[t.max-1].Add(t.window).Sub(now), nil
}

// Record counts one attempt of key, and forgets attempts of the scope
// that left the window.
func (t *Throttle) Record(ctx context.Context, key string) error {
	now := t.clock.Now()
	_, err := t.db.q(ctx).ExecContext(ctx,
		`INSERT INTO attempts (scope, key_hash, at) VALUES ($1, $2, $3)`, t.scope, t.hash(key), now)
	if err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	_, err = t.db.q(ctx).ExecContext(ctx,
		`DELETE FROM attempts WHERE scope = $1 AND at <= $2`, t.scope, now.Add(-t.window))
	if err != nil {
		return fmt.Errorf("forget old attempts: %w", err)
	}
	return nil
}

// Reset forgets every attempt of key.
func (t *Throttle) Reset(ctx context.Context, key string) error {
	_, err := t.db.q(ctx).ExecContext(ctx,
		`DELETE FROM attempts WHERE scope = $1 AND key_hash = $2`, t.scope, t.hash(key))
	if err != nil {
		return fmt.Errorf("reset attempts: %w", err)
	}
	return nil
}
