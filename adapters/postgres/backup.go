package postgres

import (
	"context"
	"fmt"
	"time"

	"auth-service/ports"
)

// backupLockKey is the advisory lock that lets one backup or restore run
// at a time across every process sharing the database.
const backupLockKey = 7_311_204_002

// BackupLock is the PostgreSQL Locker: a session advisory lock held on a
// connection of its own, so the server releases it if the holder dies.
type BackupLock struct{ db *DB }

var (
	_ ports.Locker      = (*BackupLock)(nil)
	_ ports.BackupState = (*BackupLock)(nil)
)

// NewBackupLock returns the backup lock and state.
func NewBackupLock(db *DB) *BackupLock { return &BackupLock{db: db} }

// TryLock takes the lock without waiting.
func (l *BackupLock) TryLock(ctx context.Context) (func(), bool, error) {
	conn, err := l.db.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("backup lock connection: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, backupLockKey).Scan(&ok); err != nil {
		_ = conn.Close()
		return nil, false, fmt.Errorf("take backup lock: %w", err)
	}
	if !ok {
		_ = conn.Close()
		return nil, false, nil
	}
	release := func() {
		// A fresh context: the caller's may be done, and the lock must go.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, backupLockKey)
		_ = conn.Close()
	}
	return release, true, nil
}

// InitialDone reports whether the initial dump was written.
func (l *BackupLock) InitialDone(ctx context.Context) (bool, error) {
	var done bool
	if err := sqlxGet(ctx, l.db, &done, `SELECT initial_done FROM backup_state`); err != nil {
		return false, fmt.Errorf("read backup state: %w", err)
	}
	return done, nil
}

// MarkInitialDone records that the initial dump exists.
func (l *BackupLock) MarkInitialDone(ctx context.Context) error {
	if _, err := l.db.q(ctx).ExecContext(ctx, `UPDATE backup_state SET initial_done = true`); err != nil {
		return fmt.Errorf("write backup state: %w", err)
	}
	return nil
}

// AfterRestore revokes every session and uses up every reset token.
func (l *BackupLock) AfterRestore(ctx context.Context) error {
	return l.db.InTx(ctx, func(ctx context.Context) error {
		now := time.Now().UTC()
		if _, err := l.db.q(ctx).ExecContext(ctx,
			`UPDATE sessions SET revoked_at = $1 WHERE revoked_at IS NULL`, now); err != nil {
			return fmt.Errorf("revoke sessions after restore: %w", err)
		}
		if _, err := l.db.q(ctx).ExecContext(ctx,
			`UPDATE password_reset_tokens SET used_at = $1 WHERE used_at IS NULL`, now); err != nil {
			return fmt.Errorf("retire reset tokens after restore: %w", err)
		}
		return nil
	})
}
