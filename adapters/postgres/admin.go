package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"auth-service/domain"
	"auth-service/ports"
)

var _ ports.UserAdmin = (*Users)(nil)

// userSorts is the whitelist of sort keys for the admin list.
var userSorts = map[string]string{
	"":            "u.created_at DESC, u.id",
	"created_at":  "u.created_at, u.id",
	"-created_at": "u.created_at DESC, u.id",
	"email":       "u.email_key, u.id",
	"-email":      "u.email_key DESC, u.id",
	"name":        "u.name, u.id",
	"-name":       "u.name DESC, u.id",
}

// SortKeys returns the accepted sort keys of the admin user list.
func SortKeys() []string {
	return []string{"created_at", "-created_at", "email", "-email", "name", "-name"}
}

// escapeLike makes s match itself literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// List returns one page of users matching f and the total count.
func (s *Users) List(ctx context.Context, f ports.UserFilter) ([]domain.User, int, error) {
	order, ok := userSorts[f.Sort]
	if !ok {
		return nil, 0, domain.Invalid("sort", "must be one of "+strings.Join(SortKeys(), ", "))
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Query != "" {
		p := arg("%" + escapeLike(strings.ToLower(f.Query)) + "%")
		where = append(where, fmt.Sprintf(
			`(lower(u.email) LIKE %s ESCAPE '\' OR lower(u.name) LIKE %s ESCAPE '\')`, p, p))
	}
	switch f.Status {
	case "":
	case "deleted":
		where = append(where, "u.deleted_at IS NOT NULL")
	default:
		where = append(where, "u.deleted_at IS NULL AND u.status = "+arg(f.Status))
	}
	if f.Role != "" {
		where = append(where, "EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role_name = "+
			arg(f.Role)+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}

	var total int
	if err := sqlxGet(ctx, s.db, &total, "SELECT count(*) FROM users u"+cond, args...); err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	limit, offset := arg(f.PerPage), arg((f.Page-1)*f.PerPage)
	var rows []userRow
	err := sqlxSelect(ctx, s.db, &rows,
		selectUser+cond+" ORDER BY "+order+" LIMIT "+limit+" OFFSET "+offset, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	out := make([]domain.User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	return out, total, nil
}

// SetStatus changes the status, or returns domain.ErrNotFound.
func (s *Users) SetStatus(ctx context.Context, id string, st domain.Status, now time.Time) error {
	return s.update(ctx, id, "status", string(st), now)
}

// SetDeleted marks the account deleted (or restores it with nil).
func (s *Users) SetDeleted(ctx context.Context, id string, when *time.Time, now time.Time) error {
	return s.update(ctx, id, "deleted_at", when, now)
}

// Purge removes the account and, by cascade, its roles, sessions and
// reset tokens.
func (s *Users) Purge(ctx context.Context, id string) error {
	if !validID(id) {
		return domain.ErrNotFound
	}
	res, err := s.db.q(ctx).ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("purge user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// DeletedBefore returns ids of accounts deleted before cutoff, oldest
// first.
func (s *Users) DeletedBefore(ctx context.Context, cutoff time.Time, limit int) ([]string, error) {
	var ids []string
	err := sqlxSelect(ctx, s.db, &ids, `
		SELECT id FROM users WHERE deleted_at < $1 ORDER BY deleted_at LIMIT $2`, cutoff, limit)
	if err != nil {
		return nil, fmt.Errorf("find expired deletions: %w", err)
	}
	return ids, nil
}

// SetRoles replaces the roles of a user.
func (s *Users) SetRoles(ctx context.Context, id string, roles []string) error {
	if !validID(id) {
		return domain.ErrNotFound
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.q(ctx)
		var exists bool
		err := sqlxGet(ctx, s.db, &exists, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, id)
		if err != nil {
			return fmt.Errorf("find user: %w", err)
		}
		if !exists {
			return domain.ErrNotFound
		}
		var known int
		err = sqlxGet(ctx, s.db, &known, `SELECT count(*) FROM roles WHERE name = ANY($1)`,
			pq.Array(roles))
		if err != nil {
			return fmt.Errorf("check roles: %w", err)
		}
		if known != len(domain.SortedUnique(roles)) {
			return domain.NewError(domain.ErrNotFound, "unknown_role", "a named role does not exist")
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1`, id); err != nil {
			return fmt.Errorf("clear roles: %w", err)
		}
		_, err = q.ExecContext(ctx, `
			INSERT INTO user_roles (user_id, role_name)
			SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, id, pq.Array(roles))
		if isForeignKeyViolation(err) {
			// A role deleted by another request since it was checked.
			return domain.NewError(domain.ErrNotFound, "unknown_role", "a named role does not exist")
		}
		if err != nil {
			return fmt.Errorf("set roles: %w", err)
		}
		return nil
	})
}

// adminLockKey is the advisory lock that serialises changes to the set of
// active administrators.
const adminLockKey = 7_311_204_001

// LockAdmins takes a transaction-scoped advisory lock; outside a
// transaction it is a no-op, so callers must hold one.
func (s *Users) LockAdmins(ctx context.Context) error {
	if _, err := s.db.q(ctx).ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, adminLockKey); err != nil {
		return fmt.Errorf("lock administrators: %w", err)
	}
	return nil
}

// ActiveAdmins returns the ids of active, undeleted admin holders.
func (s *Users) ActiveAdmins(ctx context.Context) ([]string, error) {
	var ids []string
	err := sqlxSelect(ctx, s.db, &ids, `
		SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE r.role_name = $1 AND u.status = 'active' AND u.deleted_at IS NULL
		ORDER BY u.id`, domain.RoleAdmin)
	if err != nil {
		return nil, fmt.Errorf("list administrators: %w", err)
	}
	return ids, nil
}
