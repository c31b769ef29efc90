package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
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

// Take counts one attempt of key when fewer than max are inside the
// window. A transaction-scoped advisory lock on the key makes the count
// and the insert one step across every instance, so racing requests
// cannot all see room. It also forgets attempts of the scope that left
// the window.
func (t *Throttle) Take(ctx context.Context, key string) (time.Duration, error) {
	now := t.clock.Now()
	h := t.hash(key)
	var wait time.Duration
	err := t.db.InTx(ctx, func(ctx context.Context) error {
		q := t.db.q(ctx)
		if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, t.lockID(h)); err != nil {
			return fmt.Errorf("lock attempts: %w", err)
		}
		var recent []time.Time
		err := sqlxSelect(ctx, t.db, &recent, `
			SELECT at FROM attempts
			WHERE scope = $1 AND key_hash = $2 AND at > $3
			ORDER BY at DESC LIMIT $4`, t.scope, h, now.Add(-t.window), t.max)
		if err != nil {
			return fmt.Errorf("read attempts: %w", err)
		}
		if len(recent) >= t.max {
			// Until the oldest of the last max attempts leaves the window.
			wait = max(recent[t.max-1].Add(t.window).Sub(now), time.Second)
			return nil
		}
		if _, err := q.ExecContext(ctx,
			`INSERT INTO attempts (scope, key_hash, at) VALUES ($1, $2, $3)`, t.scope, h, now); err != nil {
			return fmt.Errorf("record attempt: %w", err)
		}
		if _, err := q.ExecContext(ctx,
			`DELETE FROM attempts WHERE scope = $1 AND at <= $2`, t.scope, now.Add(-t.window)); err != nil {
			return fmt.Errorf("forget old attempts: %w", err)
		}
		return nil
	})
	return wait, err
}

// lockID is the advisory lock of one key of this scope.
func (t *Throttle) lockID(keyHash []byte) int64 {
	sum := sha256.Sum256(append([]byte(t.scope+"\x00"), keyHash...))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// GiveBack removes the newest attempt of key.
func (t *Throttle) GiveBack(ctx context.Context, key string) error {
	_, err := t.db.q(ctx).ExecContext(ctx, `
		DELETE FROM attempts WHERE ctid IN (
			SELECT ctid FROM attempts WHERE scope = $1 AND key_hash = $2
			ORDER BY at DESC LIMIT 1)`, t.scope, t.hash(key))
	if err != nil {
		return fmt.Errorf("give back attempt: %w", err)
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
