package application

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"auth-service/domain"
	"auth-service/ports"
)

// Paging limits of every paginated list.
const (
	DefaultPerPage = 50
	MaxPerPage     = 200
)

// Admin holds what administrators do with users, roles, permissions and
// the audit trail. The HTTP adapter has already checked the route's
// permission with Authorize; Admin adds the rules no permission can lift:
// no self-escalation and the last administrator.
type Admin struct {
	Deps
	cfg    Config
	policy domain.PasswordPolicy
}

// NewAdmin returns the administration use cases.
func NewAdmin(cfg Config, d Deps) *Admin {
	d = d.normalized()
	return &Admin{Deps: d, cfg: cfg, policy: domain.PasswordPolicy{MinLength: cfg.PasswordMinLength}}
}

// Page is one page of a list.
type Page[T any] struct {
	Items   []T
	Page    int
	PerPage int
	Total   int
}

// checkPaging fills defaults and validates page and per_page.
func checkPaging(v *domain.ValidationError, page, perPage *int) {
	if *page == 0 {
		*page = 1
	}
	if *perPage == 0 {
		*perPage = DefaultPerPage
	}
	if *page < 1 || *page > 1_000_000 {
		v.Add("page", "must be a whole number from 1")
	}
	if *perPage < 1 || *perPage > MaxPerPage {
		v.Add("per_page", "must be from 1 to 200")
	}
}

// ListUsers returns one page of accounts matching f. A bad filter is a
// *domain.ValidationError.
func (a *Admin) ListUsers(ctx context.Context, f ports.UserFilter) (Page[domain.User], error) {
	v := &domain.ValidationError{}
	checkPaging(v, &f.Page, &f.PerPage)
	switch f.Status {
	case "", "active", "disabled", "deleted":
	default:
		v.Add("status", "must be active, disabled or deleted")
	}
	if f.Role != "" && !domain.ValidRoleName(f.Role) {
		v.Add("role", "is not a role name")
	}
	if len([]rune(f.Query)) > domain.MaxEmailLength {
		v.Add("q", "must be at most 254 characters")
	}
	if err := v.Err(); err != nil {
		return Page[domain.User]{}, err
	}
	// Stored emails and names are NFC: a decomposed search must find them.
	f.Query = domain.NormalizeText(f.Query)
	items, total, err := a.Admin.List(ctx, f)
	if err != nil {
		return Page[domain.User]{}, err
	}
	return Page[domain.User]{Items: items, Page: f.Page, PerPage: f.PerPage, Total: total}, nil
}

// GetUser returns one account, or domain.ErrNotFound.
func (a *Admin) GetUser(ctx context.Context, id string) (domain.User, error) {
	return a.findUser(ctx, id)
}

// NewUser is what an administrator gives to create an account.
type NewUser struct {
	Email    string
	Password string
	Name     string
	Roles    []string
}

// CreateUser creates an active account with the role "user" plus the
// roles named. The caller must hold every permission of every role it
// grants (domain.ErrForbidden otherwise); unknown roles are a
// *domain.ValidationError; a taken email is domain.ErrConflict.
func (a *Admin) CreateUser(ctx context.Context, p Principal, in NewUser) (domain.User, error) {
	v := &domain.ValidationError{}
	em, err := domain.ParseEmail(in.Email)
	collect(v, err)
	name, err := domain.ParseName(in.Name)
	collect(v, err)
	collect(v, a.policy.Check("password", in.Password, em.Address))
	if len(in.Roles) > maxListItems {
		v.Add("roles", "must name at most 100 roles")
		in.Roles = nil
	}
	roles := domain.SortedUnique(append([]string{domain.RoleUser}, in.Roles...))
	for _, r := range roles {
		if !domain.ValidRoleName(r) {
			v.Add("roles", fmt.Sprintf("role %q does not exist", r))
			continue
		}
		if _, err := a.Roles.Role(ctx, r); err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				v.Add("roles", fmt.Sprintf("role %q does not exist", r))
				continue
			}
			return domain.User{}, err
		}
	}
	if err := v.Err(); err != nil {
		return domain.User{}, err
	}
	if err := a.mayGrantRoles(ctx, p, roles); err != nil {
		return domain.User{}, err
	}

	hash, err := a.Hasher.Hash(ctx, in.Password)
	if err != nil {
		return domain.User{}, fmt.Errorf("hash password: %w", err)
	}
	now := a.Clock.Now()
	u := domain.User{
		ID: a.Random.NewID(), Email: em.Address, Name: name, Status: domain.StatusActive,
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
	}
	err = a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Users.Create(ctx, u, em.Key, roles); err != nil {
			return err
		}
		return a.audit(ctx, p.UserID, p.IP, domain.AuditUserCreated, "user", u.ID,
			map[string]any{"roles": roles})
	})
	if err != nil {
		return domain.User{}, err
	}
	return a.Users.ByID(ctx, u.ID)
}

// mayGrantRoles refuses roles holding a permission the caller lacks.
func (a *Admin) mayGrantRoles(ctx context.Context, p Principal, roles []string) error {
	for _, name := range roles {
		r, err := a.Roles.Role(ctx, name)
		if err != nil {
			return err
		}
		if missing := domain.Missing(p.Permissions, r.Permissions); len(missing) > 0 {
			return domain.NewError(domain.ErrForbidden, "escalation",
				"granting role %s needs permissions the caller does not hold: %s",
				name, strings.Join(missing, ", "))
		}
	}
	return nil
}

// mayManage refuses to let a caller change an account that holds a
// permission the caller lacks: whoever may edit users cannot disable,
// strip, delete or restore those who outrank them. An account's own
// holder is not outranked by itself.
func mayManage(p Principal, u domain.User) error {
	if u.ID == p.UserID {
		return nil
	}
	if missing := domain.Missing(p.Permissions, u.Permissions); len(missing) > 0 {
		return domain.NewError(domain.ErrForbidden, "outranked",
			"the account holds permissions the caller does not: %s", strings.Join(missing, ", "))
	}
	return nil
}

// UserChange is what an administrator may change on an account.
type UserChange struct {
	Name   *string
	Status *string
}

// UpdateUser changes the name and status of an account. Disabling ends
// every session; re-enabling revives none. Disabling the last active
// administrator is domain.ErrConflict.
func (a *Admin) UpdateUser(ctx context.Context, p Principal, id string, c UserChange) (domain.User, error) {
	v := &domain.ValidationError{}
	var name string
	if c.Name != nil {
		var err error
		name, err = domain.ParseName(*c.Name)
		collect(v, err)
	}
	if c.Status != nil && !domain.Status(*c.Status).Valid() {
		v.Add("status", "must be active or disabled")
	}
	if err := v.Err(); err != nil {
		return domain.User{}, err
	}
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := a.findUser(ctx, id)
		if err != nil {
			return err
		}
		if err := mayManage(p, u); err != nil {
			return err
		}
		id = u.ID // the stored form: every rule below compares ids
		now := a.Clock.Now()
		changes := map[string]any{}
		if c.Name != nil {
			if err := a.Users.UpdateName(ctx, id, name, now); err != nil {
				return err
			}
			changes["name"] = true
		}
		if c.Status != nil && domain.Status(*c.Status) != u.Status {
			st := domain.Status(*c.Status)
			if st == domain.StatusDisabled {
				if err := a.guardLastAdmin(ctx, id); err != nil {
					return err
				}
				if err := a.revokeEverything(ctx, id, "", now); err != nil {
					return err
				}
			}
			if err := a.Admin.SetStatus(ctx, id, st, now); err != nil {
				return err
			}
			changes["status"] = string(st)
		}
		return a.audit(ctx, p.UserID, p.IP, domain.AuditUserUpdated, "user", id, changes)
	})
	if err != nil {
		return domain.User{}, err
	}
	return a.GetUser(ctx, id)
}

// SetUserRoles replaces the roles of an account ("user" is always kept).
// An unknown role is
// domain.ErrNotFound; a role holding a permission the caller lacks is
// domain.ErrForbidden; taking admin from the last active administrator is
// domain.ErrConflict.
func (a *Admin) SetUserRoles(ctx context.Context, p Principal, id string, roles []string) (domain.User, error) {
	// Every account keeps the role "user", whatever the list says; a name
	// given twice counts once.
	roles = domain.SortedUnique(append(roles, domain.RoleUser))
	if len(roles) > maxListItems {
		return domain.User{}, domain.Invalid("roles", "must name at most 100 roles")
	}
	for _, r := range roles {
		if r == "" {
			return domain.User{}, domain.Invalid("roles", "must hold role names, not an empty one or null")
		}
		if !domain.ValidRoleName(r) {
			return domain.User{}, domain.NewError(domain.ErrNotFound, "unknown_role",
				"role %q does not exist", r)
		}
	}
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := a.findUser(ctx, id)
		if err != nil {
			return err
		}
		if err := mayManage(p, u); err != nil {
			return err
		}
		id = u.ID // the stored form: the last-admin rule compares ids
		var added []string
		for _, r := range roles {
			if _, err := a.Roles.Role(ctx, r); errors.Is(err, domain.ErrNotFound) {
				return domain.NewError(domain.ErrNotFound, "unknown_role", "role %q does not exist", r)
			} else if err != nil {
				return err
			}
			if !domain.HasPermission(u.Roles, r) {
				added = append(added, r)
			}
		}
		if id == p.UserID && len(added) > 0 {
			// Holding every permission of a role is not holding the role:
			// a role keeps receiving permissions (admin receives every new
			// one), so nobody may add a role to its own account.
			return domain.NewError(domain.ErrForbidden, "escalation",
				"nobody can grant itself a role it does not hold: %s", strings.Join(added, ", "))
		}
		if err := a.mayGrantRoles(ctx, p, added); err != nil {
			return err
		}
		if !domain.HasPermission(roles, domain.RoleAdmin) {
			if err := a.guardLastAdmin(ctx, id); err != nil {
				return err
			}
		}
		if err := a.Admin.SetRoles(ctx, id, roles); err != nil {
			return err
		}
		return a.audit(ctx, p.UserID, p.IP, domain.AuditUserRolesSet, "user", id,
			map[string]any{"roles": roles})
	})
	if err != nil {
		return domain.User{}, err
	}
	return a.Users.ByID(ctx, id)
}

// DeleteUser soft-deletes an account, or with permanent purges it at
// once. Either is domain.ErrConflict for the last active administrator.
func (a *Admin) DeleteUser(ctx context.Context, p Principal, id string, permanent bool) error {
	u, err := a.findUser(ctx, id)
	if err != nil {
		return err
	}
	if err := mayManage(p, u); err != nil {
		return err
	}
	id = u.ID // the stored form: the last-admin rule compares ids
	if permanent {
		return a.Tx.InTx(ctx, func(ctx context.Context) error {
			if err := a.guardLastAdmin(ctx, id); err != nil {
				return err
			}
			if err := a.Admin.Purge(ctx, id); err != nil {
				return err
			}
			return a.audit(ctx, p.UserID, p.IP, domain.AuditAccountPurged, "user", id, nil)
		})
	}
	if u.DeletedAt != nil {
		return nil // already deleted: the restore window keeps running
	}
	return softDelete(ctx, a.Deps, a.cfg, u, p.UserID, p.IP)
}

// RestoreUser brings back a deleted account within the restore window.
// It is domain.ErrConflict when the account is not deleted and
// domain.ErrGone after the window. Sessions ended by the deletion stay
// ended.
func (a *Admin) RestoreUser(ctx context.Context, p Principal, id string) (domain.User, error) {
	u, err := a.findUser(ctx, id)
	if err != nil {
		return domain.User{}, err
	}
	if err := mayManage(p, u); err != nil {
		return domain.User{}, err
	}
	if err := restore(ctx, a.Deps, a.cfg, u, p.UserID, p.IP); err != nil {
		return domain.User{}, err
	}
	return a.Users.ByID(ctx, u.ID)
}

var (
	errNotDeleted = domain.NewError(domain.ErrConflict, "not_deleted", "the account is not deleted")
	errWindowGone = domain.NewError(domain.ErrGone, "restore_window_passed",
		"the restore window of this account has passed")
)

// restore clears the deletion of u, records it and mails the owner.
func restore(ctx context.Context, d Deps, cfg Config, u domain.User, actor, ip string) error {
	now := d.Clock.Now()
	err := d.Tx.InTx(ctx, func(ctx context.Context) error {
		// Looked at under lock: of two restores at once, one restores and
		// the other finds the account not deleted.
		cur, err := d.Users.Lock(ctx, u.ID)
		if err != nil {
			return err
		}
		if cur.DeletedAt == nil {
			return errNotDeleted
		}
		if now.Sub(*cur.DeletedAt) > cfg.RestoreWindow {
			return errWindowGone
		}
		if err := d.Admin.SetDeleted(ctx, u.ID, nil, now); err != nil {
			return err
		}
		return d.audit(ctx, actor, ip, domain.AuditAccountRestored, "user", u.ID, nil)
	})
	if err != nil {
		return err
	}
	d.notify(ctx, u.Email, "Your account was restored",
		"Your account was restored and can be used again. If you did not ask for this, "+
			"contact an administrator.\n")
	return nil
}

// PurgeExpired removes accounts whose restore window has passed and
// returns how many. It is idempotent and safe to run from several
// instances at once: an account another instance purged first is skipped.
func (a *Admin) PurgeExpired(ctx context.Context) (int, error) {
	purged := 0
	for {
		ids, err := a.Admin.DeletedBefore(ctx, a.Clock.Now().Add(-a.cfg.RestoreWindow), 100)
		if err != nil || len(ids) == 0 {
			return purged, err
		}
		progress := false
		for _, id := range ids {
			err := a.Tx.InTx(ctx, func(ctx context.Context) error {
				if err := a.Admin.Purge(ctx, id); err != nil {
					return err
				}
				return a.audit(ctx, "", "", domain.AuditAccountPurged, "user", id,
					map[string]any{"reason": "restore window passed"})
			})
			switch {
			case errors.Is(err, domain.ErrNotFound):
			case err != nil:
				return purged, err
			default:
				purged++
				progress = true
			}
		}
		if !progress {
			return purged, nil
		}
	}
}
