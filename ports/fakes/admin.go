package fakes

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"auth-service/domain"
	"auth-service/ports"
)

var (
	_ ports.UserAdmin  = (*Users)(nil)
	_ ports.RoleAdmin  = (*Roles)(nil)
	_ ports.ResetStore = (*Resets)(nil)
	_ ports.AuditLog   = (*Audit)(nil)
	_ ports.Mailer     = (*Mailer)(nil)
	_ ports.Throttle   = (*Throttle)(nil)
)

// userSorts orders two rows for each sort key the PostgreSQL store
// accepts; ties go by id.
var userSorts = map[string]func(a, b *userRow) int{
	"":            func(a, b *userRow) int { return b.user.CreatedAt.Compare(a.user.CreatedAt) },
	"-created_at": func(a, b *userRow) int { return b.user.CreatedAt.Compare(a.user.CreatedAt) },
	"created_at":  func(a, b *userRow) int { return a.user.CreatedAt.Compare(b.user.CreatedAt) },
	"email":       func(a, b *userRow) int { return strings.Compare(a.key, b.key) },
	"-email":      func(a, b *userRow) int { return strings.Compare(b.key, a.key) },
	"name":        func(a, b *userRow) int { return strings.Compare(a.user.Name, b.user.Name) },
	"-name":       func(a, b *userRow) int { return strings.Compare(b.user.Name, a.user.Name) },
}

// List filters, sorts (by default newest first) and pages the users.
func (s *Users) List(_ context.Context, f ports.UserFilter) ([]domain.User, int, error) {
	order, ok := userSorts[f.Sort]
	if !ok {
		return nil, 0, domain.Invalid("sort",
			"must be one of created_at, -created_at, email, -email, name, -name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []*userRow
	for _, r := range s.rows {
		u := r.user
		q := strings.ToLower(f.Query)
		if q != "" && !strings.Contains(strings.ToLower(u.Email), q) &&
			!strings.Contains(strings.ToLower(u.Name), q) {
			continue
		}
		switch f.Status {
		case "":
		case "deleted":
			if u.DeletedAt == nil {
				continue
			}
		default:
			if u.DeletedAt != nil || string(u.Status) != f.Status {
				continue
			}
		}
		if f.Role != "" && !domain.HasPermission(r.roles, f.Role) {
			continue
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if c := order(rows[i], rows[j]); c != 0 {
			return c < 0
		}
		return rows[i].user.ID < rows[j].user.ID
	})
	from := min((f.Page-1)*f.PerPage, len(rows))
	to := min(from+f.PerPage, len(rows))
	out := make([]domain.User, 0, to-from)
	for _, r := range rows[from:to] {
		out = append(out, s.view(r))
	}
	return out, len(rows), nil
}

// SetStatus changes the status.
func (s *Users) SetStatus(_ context.Context, id string, st domain.Status, now time.Time) error {
	return s.update(id, now, func(u *domain.User) { u.Status = st })
}

// SetDeleted marks or unmarks the account deleted.
func (s *Users) SetDeleted(_ context.Context, id string, when *time.Time, now time.Time) error {
	return s.update(id, now, func(u *domain.User) { u.DeletedAt = when })
}

// Purge removes the account.
func (s *Users) Purge(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.rows[id]; !ok {
		return domain.ErrNotFound
	}
	delete(s.rows, id)
	return nil
}

// DeletedBefore returns up to limit accounts deleted before cutoff,
// oldest deletion first.
func (s *Users) DeletedBefore(_ context.Context, cutoff time.Time, limit int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []domain.User
	for _, r := range s.rows {
		if r.user.DeletedAt != nil && r.user.DeletedAt.Before(cutoff) {
			found = append(found, r.user)
		}
	}
	sort.Slice(found, func(i, j int) bool {
		if !found[i].DeletedAt.Equal(*found[j].DeletedAt) {
			return found[i].DeletedAt.Before(*found[j].DeletedAt)
		}
		return found[i].ID < found[j].ID
	})
	var ids []string
	for _, u := range found[:min(max(limit, 0), len(found))] {
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// SetRoles replaces the roles of a user.
func (s *Users) SetRoles(_ context.Context, id string, roles []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	if !ok {
		return domain.ErrNotFound
	}
	for _, role := range roles {
		if _, ok := s.RolePermissions[role]; !ok {
			return domain.NewError(domain.ErrNotFound, "unknown_role", "a named role does not exist")
		}
	}
	r.roles = domain.SortedUnique(roles)
	return nil
}

// LockAdmins does nothing: the fake Transactor already serialises.
func (s *Users) LockAdmins(context.Context) error { return nil }

// ActiveAdmins returns the active, undeleted admin holders.
func (s *Users) ActiveAdmins(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, r := range s.rows {
		if r.user.CanAuthenticate() && domain.HasPermission(r.roles, domain.RoleAdmin) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// Roles is an in-memory RoleAdmin over the role definitions of a Users
// fake, so permission changes show in the users' effective permissions.
type Roles struct {
	users *Users
	roles map[string]*domain.Role
	perms map[string]string
}

// NewRoles returns a role store holding the builtin roles and
// permissions, sharing role definitions with users.
func NewRoles(users *Users) *Roles {
	r := &Roles{users: users, roles: map[string]*domain.Role{}, perms: map[string]string{}}
	for _, p := range domain.BuiltinPermissions() {
		r.perms[p.Name] = p.Description
	}
	for _, role := range domain.BuiltinRoles() {
		role := role
		role.Permissions = domain.SortedUnique(role.Permissions)
		r.roles[role.Name] = &role
	}
	return r
}

func (r *Roles) sync() {
	r.users.mu.Lock()
	defer r.users.mu.Unlock()
	r.users.RolePermissions = map[string][]string{}
	for name, role := range r.roles {
		r.users.RolePermissions[name] = append([]string(nil), role.Permissions...)
	}
}

// Seed is a no-op: NewRoles already holds the builtins.
func (r *Roles) Seed(context.Context, []domain.Permission, []domain.Role) error { return nil }

// Roles returns every role by name.
func (r *Roles) Roles(context.Context) ([]domain.Role, error) {
	var out []domain.Role
	for _, role := range r.roles {
		out = append(out, *role)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Role returns one role.
func (r *Roles) Role(_ context.Context, name string) (domain.Role, error) {
	role, ok := r.roles[name]
	if !ok {
		return domain.Role{}, domain.ErrNotFound
	}
	return *role, nil
}

func (r *Roles) known(perms []string) error {
	for _, p := range perms {
		if _, ok := r.perms[p]; !ok {
			return domain.NewError(domain.ErrNotFound, "unknown_permission", "a named permission does not exist")
		}
	}
	return nil
}

// CreateRole inserts a role.
func (r *Roles) CreateRole(_ context.Context, role domain.Role) error {
	if _, ok := r.roles[role.Name]; ok {
		return domain.NewError(domain.ErrConflict, "role_exists", "a role with this name exists")
	}
	if err := r.known(role.Permissions); err != nil {
		return err
	}
	role.Permissions = domain.SortedUnique(role.Permissions)
	role.System = false
	r.roles[role.Name] = &role
	r.sync()
	return nil
}

// DescribeRole sets a description.
func (r *Roles) DescribeRole(_ context.Context, name, description string) error {
	role, ok := r.roles[name]
	if !ok {
		return domain.ErrNotFound
	}
	role.Description = description
	return nil
}

// SetRolePermissions replaces a role's permissions.
func (r *Roles) SetRolePermissions(_ context.Context, name string, perms []string) error {
	role, ok := r.roles[name]
	if !ok {
		return domain.ErrNotFound
	}
	if err := r.known(perms); err != nil {
		return err
	}
	role.Permissions = domain.SortedUnique(perms)
	r.sync()
	return nil
}

// GrantPermissions adds permissions to a role.
func (r *Roles) GrantPermissions(_ context.Context, name string, perms []string) error {
	role, ok := r.roles[name]
	if !ok {
		return domain.ErrNotFound
	}
	if err := r.known(perms); err != nil {
		return err
	}
	role.Permissions = domain.SortedUnique(append(role.Permissions, perms...))
	r.sync()
	return nil
}

// DeleteRole removes a role nobody holds.
func (r *Roles) DeleteRole(_ context.Context, name string) error {
	if _, ok := r.roles[name]; !ok {
		return domain.ErrNotFound
	}
	r.users.mu.Lock()
	for _, row := range r.users.rows {
		if domain.HasPermission(row.roles, name) {
			r.users.mu.Unlock()
			return domain.NewError(domain.ErrConflict, "role_assigned", "the role is still assigned to users")
		}
	}
	r.users.mu.Unlock()
	delete(r.roles, name)
	r.sync()
	return nil
}

// Permissions returns every permission.
func (r *Roles) Permissions(context.Context) ([]domain.Permission, error) {
	var out []domain.Permission
	for n, d := range r.perms {
		out = append(out, domain.Permission{Name: n, Description: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CreatePermission inserts a permission.
func (r *Roles) CreatePermission(_ context.Context, p domain.Permission) error {
	if _, ok := r.perms[p.Name]; ok {
		return domain.NewError(domain.ErrConflict, "permission_exists", "a permission with this name exists")
	}
	r.perms[p.Name] = p.Description
	return nil
}

// Resets is an in-memory ResetStore.
type Resets struct {
	mu     sync.Mutex
	tokens []*domain.ResetToken
}

// Replace stores t and retires the user's other tokens.
func (s *Resets) Replace(ctx context.Context, t domain.ResetToken) error {
	_ = s.UseAll(ctx, t.UserID, t.CreatedAt)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = append(s.tokens, &t)
	return nil
}

// Lock returns the token with this hash.
func (s *Resets) Lock(_ context.Context, hash []byte) (domain.ResetToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if bytes.Equal(t.Hash, hash) {
			return *t, nil
		}
	}
	return domain.ResetToken{}, domain.ErrNotFound
}

// UseAll retires every unused token of the user.
func (s *Resets) UseAll(_ context.Context, userID string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t.UserID == userID && t.UsedAt == nil {
			at := now
			t.UsedAt = &at
		}
	}
	return nil
}

// Audit is an in-memory AuditLog.
type Audit struct {
	mu     sync.Mutex
	Events []domain.AuditEvent
}

// Append records e. Details are kept as PostgreSQL gives them back:
// decoded from JSON, never nil.
func (a *Audit) Append(_ context.Context, e domain.AuditEvent) error {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("encode audit details: %w", err)
	}
	e.Details = nil
	if err := json.Unmarshal(raw, &e.Details); err != nil {
		return fmt.Errorf("decode audit details: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e.ID = int64(len(a.Events) + 1)
	a.Events = append(a.Events, e)
	return nil
}

// List returns matching events, newest first.
func (a *Audit) List(_ context.Context, f ports.AuditFilter) ([]domain.AuditEvent, int, error) {
	if f.ActorID != "" {
		if _, err := uuid.Parse(f.ActorID); err != nil || len(f.ActorID) != 36 {
			return nil, 0, domain.Invalid("actor", "must be a user id")
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []domain.AuditEvent
	for i := len(a.Events) - 1; i >= 0; i-- {
		e := a.Events[i]
		if (f.ActorID == "" || e.ActorID == f.ActorID) && (f.Action == "" || e.Action == f.Action) {
			out = append(out, e)
		}
	}
	from := min((f.Page-1)*f.PerPage, len(out))
	to := min(from+f.PerPage, len(out))
	return out[from:to], len(out), nil
}

// Actions returns the actions recorded so far, in order.
func (a *Audit) Actions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, len(a.Events))
	for i, e := range a.Events {
		out[i] = e.Action
	}
	return out
}

// Mailer records messages instead of sending them; Fail makes Send fail.
type Mailer struct {
	mu   sync.Mutex
	Sent []ports.MailMessage
	Fail bool
}

// Send records msg.
func (m *Mailer) Send(_ context.Context, msg ports.MailMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail {
		return errors.New("fake mailer: refused")
	}
	m.Sent = append(m.Sent, msg)
	return nil
}

// Messages returns the messages sent so far.
func (m *Mailer) Messages() []ports.MailMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]ports.MailMessage(nil), m.Sent...)
}

// Throttle lets Max attempts per key through and refuses the next for
// Wait (a second when unset); Max 0 never refuses. There is no window:
// counts only go down by GiveBack and Reset.
type Throttle struct {
	mu     sync.Mutex
	Max    int
	Wait   time.Duration
	counts map[string]int
}

// Take counts one attempt unless key already has Max.
func (t *Throttle) Take(_ context.Context, key string) (time.Duration, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.Max > 0 && t.counts[key] >= t.Max {
		return cmp.Or(t.Wait, time.Second), nil
	}
	if t.counts == nil {
		t.counts = map[string]int{}
	}
	t.counts[key]++
	return 0, nil
}

// GiveBack uncounts one attempt.
func (t *Throttle) GiveBack(_ context.Context, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts[key] > 0 {
		t.counts[key]--
	}
	return nil
}

// Count is the number of attempts counted for key.
func (t *Throttle) Count(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[key]
}

// Reset forgets key.
func (t *Throttle) Reset(_ context.Context, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.counts, key)
	return nil
}
