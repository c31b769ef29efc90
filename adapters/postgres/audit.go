package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"auth-service/domain"
	"auth-service/ports"
)

// Resets is the PostgreSQL ResetStore.
type Resets struct{ db *DB }

var _ ports.ResetStore = (*Resets)(nil)

// NewResets returns the reset token store.
func NewResets(db *DB) *Resets { return &Resets{db: db} }

// resetLockClass keys the advisory locks of Replace apart from others.
const resetLockClass = 0x52455354 // "REST"

// Replace stores t and kills every other unused token of its user.
func (s *Resets) Replace(ctx context.Context, t domain.ResetToken) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		// Replacements for one account take turns, so the second sees the
		// first's token and retires it: one live token at a time. An
		// advisory lock, not the account's row: a reset in flight holds its
		// token and then updates the account, and must not wait on us.
		_, err := s.db.q(ctx).ExecContext(ctx,
			`SELECT pg_advisory_xact_lock($1, hashtext($2))`, resetLockClass, t.UserID)
		if err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		if err := s.UseAll(ctx, t.UserID, t.CreatedAt); err != nil {
			return err
		}
		_, err = s.db.q(ctx).ExecContext(ctx, `
			INSERT INTO password_reset_tokens (token_hash, user_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4)`, t.Hash, t.UserID, t.CreatedAt, t.ExpiresAt)
		if err != nil {
			return fmt.Errorf("insert reset token: %w", err)
		}
		return nil
	})
}

// Lock returns a reset token locked until the transaction ends.
func (s *Resets) Lock(ctx context.Context, hash []byte) (domain.ResetToken, error) {
	var row struct {
		Hash      []byte     `db:"token_hash"`
		UserID    string     `db:"user_id"`
		CreatedAt time.Time  `db:"created_at"`
		ExpiresAt time.Time  `db:"expires_at"`
		UsedAt    *time.Time `db:"used_at"`
	}
	err := sqlxGet(ctx, s.db, &row, `
		SELECT token_hash, user_id, created_at, expires_at, used_at
		FROM password_reset_tokens WHERE token_hash = $1 FOR UPDATE`, hash)
	if err != nil {
		return domain.ResetToken{}, notFound(err, domain.ErrNotFound)
	}
	return domain.ResetToken{Hash: row.Hash, UserID: row.UserID, CreatedAt: row.CreatedAt.UTC(),
		ExpiresAt: row.ExpiresAt.UTC(), UsedAt: utcPtr(row.UsedAt)}, nil
}

// UseAll marks every unused token of the user used.
func (s *Resets) UseAll(ctx context.Context, userID string, now time.Time) error {
	_, err := s.db.q(ctx).ExecContext(ctx, `
		UPDATE password_reset_tokens SET used_at = $2
		WHERE user_id = $1 AND used_at IS NULL`, userID, now)
	if err != nil {
		return fmt.Errorf("retire reset tokens: %w", err)
	}
	return nil
}

// Audit is the PostgreSQL AuditLog; the table refuses updates and deletes.
type Audit struct{ db *DB }

var _ ports.AuditLog = (*Audit)(nil)

// NewAudit returns the audit log.
func NewAudit(db *DB) *Audit { return &Audit{db: db} }

func nullUUID(s string) any {
	if !validID(s) {
		return nil
	}
	return s
}

// Append records one event.
func (s *Audit) Append(ctx context.Context, e domain.AuditEvent) error {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("encode audit details: %w", err)
	}
	_, err = s.db.q(ctx).ExecContext(ctx, `
		INSERT INTO audit_events (at, actor_id, action, target_type, target_id, ip, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.At, nullUUID(e.ActorID), e.Action, e.TargetType, e.TargetID, e.IP, raw)
	if err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return nil
}

// List returns one page of events, newest first.
func (s *Audit) List(ctx context.Context, f ports.AuditFilter) ([]domain.AuditEvent, int, error) {
	var where []string
	var args []any
	if f.ActorID != "" {
		if !validID(f.ActorID) {
			return nil, 0, domain.Invalid("actor", "must be a user id")
		}
		args = append(args, f.ActorID)
		where = append(where, fmt.Sprintf("actor_id = $%d", len(args)))
	}
	if f.Action != "" {
		args = append(args, f.Action)
		where = append(where, fmt.Sprintf("action = $%d", len(args)))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := sqlxGet(ctx, s.db, &total, "SELECT count(*) FROM audit_events"+cond, args...); err != nil {
		return nil, 0, fmt.Errorf("count audit events: %w", err)
	}
	args = append(args, f.PerPage, (f.Page-1)*f.PerPage)
	var rows []struct {
		ID         int64     `db:"id"`
		At         time.Time `db:"at"`
		ActorID    *string   `db:"actor_id"`
		Action     string    `db:"action"`
		TargetType string    `db:"target_type"`
		TargetID   string    `db:"target_id"`
		IP         string    `db:"ip"`
		Details    []byte    `db:"details"`
	}
	err := sqlxSelect(ctx, s.db, &rows, fmt.Sprintf(`
		SELECT id, at, actor_id, action, target_type, target_id, ip, details
		FROM audit_events%s ORDER BY id DESC LIMIT $%d OFFSET $%d`, cond, len(args)-1, len(args)),
		args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit events: %w", err)
	}
	out := make([]domain.AuditEvent, len(rows))
	for i, r := range rows {
		e := domain.AuditEvent{ID: r.ID, At: r.At.UTC(), Action: r.Action,
			TargetType: r.TargetType, TargetID: r.TargetID, IP: r.IP}
		if r.ActorID != nil {
			e.ActorID = *r.ActorID
		}
		_ = json.Unmarshal(r.Details, &e.Details)
		out[i] = e
	}
	return out, total, nil
}
