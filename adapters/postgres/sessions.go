package postgres

import (
	"context"
	"fmt"
	"time"

	"auth-service/domain"
	"auth-service/ports"
)

// Sessions is the PostgreSQL SessionStore.
type Sessions struct{ db *DB }

var _ ports.SessionStore = (*Sessions)(nil)

// NewSessions returns the session store.
func NewSessions(db *DB) *Sessions { return &Sessions{db: db} }

type sessionRow struct {
	ID         string     `db:"id"`
	UserID     string     `db:"user_id"`
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt time.Time  `db:"last_used_at"`
	ExpiresAt  time.Time  `db:"expires_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
	IP         string     `db:"ip"`
	UserAgent  string     `db:"user_agent"`
}

func (r sessionRow) session() domain.Session {
	return domain.Session{
		ID:         r.ID,
		UserID:     r.UserID,
		CreatedAt:  r.CreatedAt.UTC(),
		LastUsedAt: r.LastUsedAt.UTC(),
		ExpiresAt:  r.ExpiresAt.UTC(),
		RevokedAt:  utcPtr(r.RevokedAt),
		IP:         r.IP,
		UserAgent:  r.UserAgent,
	}
}

type tokenRow struct {
	Hash         []byte     `db:"token_hash"`
	SessionID    string     `db:"session_id"`
	CreatedAt    time.Time  `db:"created_at"`
	RotatedAt    *time.Time `db:"rotated_at"`
	SuccessorBox []byte     `db:"successor_box"`
}

func (r tokenRow) token() domain.RefreshToken {
	return domain.RefreshToken{
		Hash:         r.Hash,
		SessionID:    r.SessionID,
		CreatedAt:    r.CreatedAt.UTC(),
		RotatedAt:    utcPtr(r.RotatedAt),
		SuccessorBox: r.SuccessorBox,
	}
}

const sessionCols = `s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at,
	s.revoked_at, s.ip, s.user_agent`

// Create inserts a session with its first refresh token.
func (s *Sessions) Create(ctx context.Context, sess domain.Session, first domain.RefreshToken) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db.q(ctx).ExecContext(ctx, `
			INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at,
			                      ip, user_agent)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			sess.ID, sess.UserID, sess.CreatedAt, sess.LastUsedAt, sess.ExpiresAt,
			sess.IP, sess.UserAgent)
		if err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		return s.insertToken(ctx, first)
	})
}

func (s *Sessions) insertToken(ctx context.Context, t domain.RefreshToken) error {
	_, err := s.db.q(ctx).ExecContext(ctx, `
		INSERT INTO refresh_tokens (token_hash, session_id, created_at)
		VALUES ($1, $2, $3)`, t.Hash, t.SessionID, t.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert refresh token: %w", err)
	}
	return nil
}

// ByID returns a session, or domain.ErrNotFound.
func (s *Sessions) ByID(ctx context.Context, id string) (domain.Session, error) {
	if !validID(id) {
		return domain.Session{}, domain.ErrNotFound
	}
	var row sessionRow
	err := sqlxGet(ctx, s.db, &row, `SELECT `+sessionCols+` FROM sessions s WHERE s.id = $1`, id)
	if err != nil {
		return domain.Session{}, notFound(err, domain.ErrNotFound)
	}
	return row.session(), nil
}

// Lock takes the session's row for update and returns it.
func (s *Sessions) Lock(ctx context.Context, id string) (domain.Session, error) {
	if !validID(id) {
		return domain.Session{}, domain.ErrNotFound
	}
	var row sessionRow
	err := sqlxGet(ctx, s.db, &row, `SELECT `+sessionCols+` FROM sessions s WHERE s.id = $1 FOR UPDATE`, id)
	if err != nil {
		return domain.Session{}, notFound(err, domain.ErrNotFound)
	}
	return row.session(), nil
}

// ListByUser returns the user's active sessions, newest first.
func (s *Sessions) ListByUser(ctx context.Context, userID string, now time.Time) ([]domain.Session, error) {
	var rows []sessionRow
	err := sqlxSelect(ctx, s.db, &rows, `
		SELECT `+sessionCols+` FROM sessions s
		WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
		ORDER BY s.created_at DESC, s.id`, userID, now)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]domain.Session, len(rows))
	for i, r := range rows {
		out[i] = r.session()
	}
	return out, nil
}

// LockToken returns a refresh token and its session and, inside a
// transaction, locks the session row until the transaction ends, so two
// refreshes of one session take turns.
func (s *Sessions) LockToken(ctx context.Context, hash []byte) (domain.RefreshToken, domain.Session, error) {
	tok, err := s.Token(ctx, hash)
	if err != nil {
		return domain.RefreshToken{}, domain.Session{}, err
	}
	var sr sessionRow
	err = sqlxGet(ctx, s.db, &sr,
		`SELECT `+sessionCols+` FROM sessions s WHERE s.id = $1 FOR UPDATE`, tok.SessionID)
	if err != nil {
		return domain.RefreshToken{}, domain.Session{}, notFound(err, domain.ErrNotFound)
	}
	// Read the token again under the lock: another refresh may have
	// rotated it while this one waited.
	tok, err = s.Token(ctx, hash)
	if err != nil {
		return domain.RefreshToken{}, domain.Session{}, err
	}
	return tok, sr.session(), nil
}

// Token returns the refresh token with this hash, or domain.ErrNotFound.
func (s *Sessions) Token(ctx context.Context, hash []byte) (domain.RefreshToken, error) {
	var row tokenRow
	err := sqlxGet(ctx, s.db, &row, `
		SELECT token_hash, session_id, created_at, rotated_at, successor_box
		FROM refresh_tokens WHERE token_hash = $1`, hash)
	if err != nil {
		return domain.RefreshToken{}, notFound(err, domain.ErrNotFound)
	}
	return row.token(), nil
}

// Rotate marks the old token replaced, stores its sealed successor,
// inserts the new token and extends the session.
func (s *Sessions) Rotate(
	ctx context.Context,
	oldHash, box []byte,
	next domain.RefreshToken,
	now, expires time.Time,
) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db.q(ctx).ExecContext(ctx, `
			UPDATE refresh_tokens SET rotated_at = $2, successor_box = $3
			WHERE token_hash = $1 AND rotated_at IS NULL`, oldHash, now, box)
		if err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("rotate refresh token: %w", domain.ErrConflict)
		}
		if err := s.insertToken(ctx, next); err != nil {
			return err
		}
		return s.Touch(ctx, next.SessionID, now, expires)
	})
}

// Touch records a use of the session and extends it.
func (s *Sessions) Touch(ctx context.Context, id string, now, expires time.Time) error {
	_, err := s.db.q(ctx).ExecContext(ctx, `
		UPDATE sessions SET last_used_at = $2, expires_at = $3 WHERE id = $1`,
		id, now, expires)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// Revoke ends one active session of a user, or returns
// domain.ErrNotFound.
func (s *Sessions) Revoke(ctx context.Context, userID, id string, now time.Time) error {
	if !validID(id) {
		return domain.ErrNotFound
	}
	res, err := s.db.q(ctx).ExecContext(ctx, `
		UPDATE sessions SET revoked_at = $3
		WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3`,
		id, userID, now)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// RevokeAll ends every active session of the user except keep.
func (s *Sessions) RevokeAll(ctx context.Context, userID, keep string, now time.Time) (int, error) {
	res, err := s.db.q(ctx).ExecContext(ctx, `
		UPDATE sessions SET revoked_at = $3
		WHERE user_id = $1 AND id::text <> $2 AND revoked_at IS NULL
		  AND expires_at > $3`, userID, keep, now)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// CountActive returns how many sessions are neither revoked nor expired at
// now, for the metrics.
func (s *Sessions) CountActive(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := sqlxGet(ctx, s.db, &n,
		`SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > $1`, now)
	return n, err
}
