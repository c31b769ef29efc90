package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"auth-service/domain"
	"auth-service/ports"
)

// Users is the PostgreSQL UserStore.
type Users struct{ db *DB }

var _ ports.UserStore = (*Users)(nil)

// NewUsers returns the user store.
func NewUsers(db *DB) *Users { return &Users{db: db} }

var errEmailTaken = domain.NewError(domain.ErrConflict, "email_taken",
	"an account with this email already exists")

// Create inserts an account and its roles in one statement batch. It
// returns domain.ErrConflict when the email key is taken.
func (s *Users) Create(ctx context.Context, u domain.User, key string, roles []string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db.q(ctx).ExecContext(ctx, `
			INSERT INTO users (id, email, email_key, name, password_hash, status,
			                   created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			u.ID, u.Email, key, u.Name, u.PasswordHash, string(u.Status),
			u.CreatedAt, u.UpdatedAt)
		if isUniqueViolation(err) {
			return errEmailTaken
		}
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		_, err = s.db.q(ctx).ExecContext(ctx, `
			INSERT INTO user_roles (user_id, role_name)
			SELECT $1, unnest($2::text[])`, u.ID, pq.Array(roles))
		if err != nil {
			return fmt.Errorf("assign roles: %w", err)
		}
		return nil
	})
}

type userRow struct {
	ID           string         `db:"id"`
	Email        string         `db:"email"`
	Name         string         `db:"name"`
	Status       string         `db:"status"`
	PasswordHash string         `db:"password_hash"`
	CreatedAt    time.Time      `db:"created_at"`
	UpdatedAt    time.Time      `db:"updated_at"`
	DeletedAt    *time.Time     `db:"deleted_at"`
	Roles        pq.StringArray `db:"roles"`
	Permissions  pq.StringArray `db:"permissions"`
}

func (r userRow) user() domain.User {
	return domain.User{
		ID:           r.ID,
		Email:        r.Email,
		Name:         r.Name,
		Status:       domain.Status(r.Status),
		PasswordHash: r.PasswordHash,
		Roles:        []string(r.Roles),
		Permissions:  []string(r.Permissions),
		CreatedAt:    r.CreatedAt.UTC(),
		UpdatedAt:    r.UpdatedAt.UTC(),
		DeletedAt:    utcPtr(r.DeletedAt),
	}
}

const selectUser = `
	SELECT u.id, u.email, u.name, u.status, u.password_hash,
	       u.created_at, u.updated_at, u.deleted_at,
	       ARRAY(SELECT ur.role_name FROM user_roles ur
	             WHERE ur.user_id = u.id ORDER BY 1) AS roles,
	       ARRAY(SELECT DISTINCT rp.permission_name
	             FROM user_roles ur
	             JOIN role_permissions rp ON rp.role_name = ur.role_name
	             WHERE ur.user_id = u.id ORDER BY 1) AS permissions
	FROM users u`

func (s *Users) one(ctx context.Context, where string, arg any) (domain.User, error) {
	var row userRow
	err := sqlxGet(ctx, s.db, &row, selectUser+" WHERE "+where, arg)
	if err != nil {
		return domain.User{}, notFound(err, domain.ErrNotFound)
	}
	return row.user(), nil
}

// ByID returns the account with its roles and effective permissions, or
// domain.ErrNotFound (also for an id that is not a UUID).
func (s *Users) ByID(ctx context.Context, id string) (domain.User, error) {
	if !validID(id) {
		return domain.User{}, domain.ErrNotFound
	}
	return s.one(ctx, "u.id = $1", id)
}

// Lock takes the account's row for update, then reads it afresh.
func (s *Users) Lock(ctx context.Context, id string) (domain.User, error) {
	if !validID(id) {
		return domain.User{}, domain.ErrNotFound
	}
	var one int
	err := sqlxGet(ctx, s.db, &one, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return domain.User{}, notFound(err, domain.ErrNotFound)
	}
	return s.ByID(ctx, id)
}

// ByEmailKey returns the account with that email key, or
// domain.ErrNotFound.
func (s *Users) ByEmailKey(ctx context.Context, key string) (domain.User, error) {
	return s.one(ctx, "u.email_key = $1", key)
}

func (s *Users) update(ctx context.Context, id, set string, arg any, now time.Time) error {
	if !validID(id) {
		return domain.ErrNotFound
	}
	res, err := s.db.q(ctx).ExecContext(ctx,
		"UPDATE users SET "+set+" = $2, updated_at = $3 WHERE id = $1", id, arg, now)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// UpdateName sets the display name, or returns domain.ErrNotFound.
func (s *Users) UpdateName(ctx context.Context, id, name string, now time.Time) error {
	return s.update(ctx, id, "name", name, now)
}

// UpdatePasswordHash replaces the hash, or returns domain.ErrNotFound.
func (s *Users) UpdatePasswordHash(ctx context.Context, id, hash string, now time.Time) error {
	return s.update(ctx, id, "password_hash", hash, now)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
