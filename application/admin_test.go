package application_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
	"auth-service/ports"
)

func TestAuthorize(t *testing.T) {
	p := application.Principal{
		UserID:      "u1",
		Permissions: []string{domain.PermUsersRead, domain.PermAuditRead},
	}
	tests := []struct {
		name    string
		p       application.Principal
		perm    string
		wantErr bool
	}{
		{name: "permission held", p: p, perm: domain.PermUsersRead},
		{name: "another permission held", p: p, perm: domain.PermAuditRead},
		{name: "permission missing", p: p, perm: domain.PermUsersWrite, wantErr: true},
		{name: "no permissions at all", p: application.Principal{UserID: "u2"},
			perm: domain.PermUsersRead, wantErr: true},
		{name: "empty permission needs only a token", p: application.Principal{UserID: "u2"}},
		{name: "empty permission with permissions", p: p},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := application.Authorize(tt.p, tt.perm)

			if !tt.wantErr {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrForbidden)
			assert.Contains(t, err.Error(), tt.perm)
		})
	}
}

// listFixture registers four accounts, one second apart, so the list
// (newest first) reads dan, carla, bob, ana.
func listFixture(t *testing.T, e *env) map[string]domain.User {
	t.Helper()
	ctx := t.Context()
	users := map[string]domain.User{}
	for _, in := range []struct{ key, email, name string }{
		{"ana", "ana@example.com", "Ana Lima"},
		{"bob", "Bob@Example.com", "Bob Stone"},
		{"carla", "carla@example.org", "Carla Banana"},
		{"dan", "dan@example.net", "Dan M\u00fcller"},
	} {
		u, err := e.auth.Register(ctx, in.email, goodPassword, in.name)
		require.NoError(t, err)
		users[in.key] = u
		e.clock.Advance(time.Second)
	}
	now := e.clock.Now()
	require.NoError(t, e.users.SetStatus(ctx, users["bob"].ID, domain.StatusDisabled, now))
	require.NoError(t, e.users.SetDeleted(ctx, users["carla"].ID, &now, now))
	require.NoError(t, e.users.SetRoles(ctx, users["dan"].ID,
		[]string{domain.RoleUser, domain.RoleAdmin}))
	return users
}

func TestAdminListUsersFilters(t *testing.T) {
	tests := []struct {
		name      string
		filter    ports.UserFilter
		want      []string
		wantTotal int
	}{
		{name: "everyone, newest first", want: []string{"dan", "carla", "bob", "ana"}, wantTotal: 4},
		{name: "q matches email or name, any case",
			filter: ports.UserFilter{Query: "ANA"}, want: []string{"carla", "ana"}, wantTotal: 2},
		{name: "q matches the domain", filter: ports.UserFilter{Query: "Example.ORG"},
			want: []string{"carla"}, wantTotal: 1},
		{name: "q matches nothing", filter: ports.UserFilter{Query: "zz"}, want: []string{}},
		{name: "q in NFD finds the NFC name", filter: ports.UserFilter{Query: "mu\u0308ller"},
			want: []string{"dan"}, wantTotal: 1},
		{name: "status deleted", filter: ports.UserFilter{Status: "deleted"},
			want: []string{"carla"}, wantTotal: 1},
		{name: "status disabled", filter: ports.UserFilter{Status: "disabled"},
			want: []string{"bob"}, wantTotal: 1},
		{name: "status active leaves out the deleted", filter: ports.UserFilter{Status: "active"},
			want: []string{"dan", "ana"}, wantTotal: 2},
		{name: "role admin", filter: ports.UserFilter{Role: domain.RoleAdmin},
			want: []string{"dan"}, wantTotal: 1},
		{name: "role user", filter: ports.UserFilter{Role: domain.RoleUser},
			want: []string{"dan", "carla", "bob", "ana"}, wantTotal: 4},
		{name: "filters combine", filter: ports.UserFilter{Query: "an", Status: "active"},
			want: []string{"dan", "ana"}, wantTotal: 2},
		{name: "first page", filter: ports.UserFilter{Page: 1, PerPage: 3},
			want: []string{"dan", "carla", "bob"}, wantTotal: 4},
		{name: "second page", filter: ports.UserFilter{Page: 2, PerPage: 3},
			want: []string{"ana"}, wantTotal: 4},
		{name: "page past the end", filter: ports.UserFilter{Page: 3, PerPage: 3},
			want: []string{}, wantTotal: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			users := listFixture(t, e)
			byID := map[string]string{}
			for k, u := range users {
				byID[u.ID] = k
			}

			page, err := e.admin.ListUsers(t.Context(), tt.filter)
			require.NoError(t, err)

			got := []string{}
			for _, u := range page.Items {
				got = append(got, byID[u.ID])
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantTotal, page.Total)
		})
	}
}

func TestAdminListUsersValidation(t *testing.T) {
	tests := []struct {
		name        string
		filter      ports.UserFilter
		wantFields  []string
		wantPage    int
		wantPerPage int
	}{
		{name: "zero page and per_page take defaults", wantPage: 1,
			wantPerPage: application.DefaultPerPage},
		{name: "page 0 is page 1", filter: ports.UserFilter{Page: 0, PerPage: 10},
			wantPage: 1, wantPerPage: 10},
		{name: "per_page 200", filter: ports.UserFilter{Page: 2, PerPage: 200},
			wantPage: 2, wantPerPage: 200},
		{name: "per_page 201", filter: ports.UserFilter{PerPage: 201},
			wantFields: []string{"per_page"}},
		{name: "negative per_page", filter: ports.UserFilter{PerPage: -1},
			wantFields: []string{"per_page"}},
		{name: "negative page", filter: ports.UserFilter{Page: -1}, wantFields: []string{"page"}},
		{name: "bogus status", filter: ports.UserFilter{Status: "bogus"},
			wantFields: []string{"status"}},
		{name: "bad role name", filter: ports.UserFilter{Role: "Not A Role"},
			wantFields: []string{"role"}},
		{name: "overlong q", filter: ports.UserFilter{Query: strings.Repeat("a", 255)},
			wantFields: []string{"q"}},
		{name: "several at once", filter: ports.UserFilter{PerPage: 201, Status: "gone"},
			wantFields: []string{"per_page", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "ana@example.com")

			page, err := e.admin.ListUsers(t.Context(), tt.filter)

			if tt.wantFields != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, domain.ErrInvalid)
				assert.Equal(t, tt.wantFields, fieldNames(t, err))
				assert.Zero(t, page)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantPage, page.Page)
			assert.Equal(t, tt.wantPerPage, page.PerPage)
			assert.Equal(t, 1, page.Total)
		})
	}
}

func TestAdminCreateUser(t *testing.T) {
	tests := []struct {
		name      string
		clerk     bool // the caller holds only users:read and users:write
		in        application.NewUser
		wantRoles []string
		wantKind  error
		wantField string
	}{
		{name: "role user always added",
			in:        application.NewUser{Email: "new@example.com", Password: goodPassword, Name: "New"},
			wantRoles: []string{domain.RoleUser}},
		{name: "named roles added to user",
			in: application.NewUser{Email: "new@example.com", Password: goodPassword,
				Roles: []string{domain.RoleAdmin, domain.RoleAdmin}},
			wantRoles: []string{domain.RoleAdmin, domain.RoleUser}},
		{name: "a role within the caller's permissions", clerk: true,
			in: application.NewUser{Email: "new@example.com", Password: goodPassword,
				Roles: []string{"reader"}},
			wantRoles: []string{"reader", domain.RoleUser}},
		{name: "unknown role",
			in: application.NewUser{Email: "new@example.com", Password: goodPassword,
				Roles: []string{"ghost"}},
			wantKind: domain.ErrInvalid, wantField: "roles"},
		{name: "role with permissions the caller lacks", clerk: true,
			in: application.NewUser{Email: "new@example.com", Password: goodPassword,
				Roles: []string{domain.RoleAdmin}},
			wantKind: domain.ErrForbidden},
		{name: "email taken, other case",
			in:       application.NewUser{Email: "ADMIN@example.com", Password: goodPassword},
			wantKind: domain.ErrConflict},
		{name: "weak password",
			in:       application.NewUser{Email: "new@example.com", Password: "short"},
			wantKind: domain.ErrInvalid, wantField: "password"},
		{name: "bad email",
			in:       application.NewUser{Email: "not-an-address", Password: goodPassword},
			wantKind: domain.ErrInvalid, wantField: "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			fxRole(t, e, "reader", domain.PermUsersRead)
			fxRole(t, e, "clerk", domain.PermUsersRead, domain.PermUsersWrite)
			_, p := fxAdmin(t, e, "admin@example.com")
			if tt.clerk {
				_, _, p = fxAccount(t, e, "clerk@example.com", "clerk")
			}
			eventsBefore := len(e.audit.Events)

			u, err := e.admin.CreateUser(t.Context(), p, tt.in)

			if tt.wantKind != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantKind)
				if tt.wantField != "" {
					assert.Contains(t, fieldNames(t, err), tt.wantField)
				}
				assert.Zero(t, u)
				assert.Empty(t, fxEvents(e, domain.AuditUserCreated))
				assert.Len(t, e.audit.Events, eventsBefore)
				if tt.wantKind != domain.ErrConflict {
					_, err := e.users.ByEmailKey(t.Context(), domain.EmailKey(tt.in.Email))
					assert.ErrorIs(t, err, domain.ErrNotFound, "no account is created")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantRoles, u.Roles)
			assert.Equal(t, domain.StatusActive, u.Status)
			assert.Nil(t, u.DeletedAt)
			assert.Equal(t, tt.in.Email, u.Email)
			stored := e.stored(t, tt.in.Email)
			assert.Equal(t, u.ID, stored.ID)
			assert.NotEqual(t, tt.in.Password, stored.PasswordHash)

			events := fxEvents(e, domain.AuditUserCreated)
			require.Len(t, events, 1)
			assert.Equal(t, p.UserID, events[0].ActorID)
			assert.Equal(t, u.ID, events[0].TargetID)
			assert.Equal(t, "user", events[0].TargetType)
			assert.Equal(t, p.IP, events[0].IP)

			_, err = fxLogin(t, e, tt.in.Email, tt.in.Password, "192.0.2.50")
			assert.NoError(t, err, "the new account can log in")
		})
	}
}

func TestAdminUpdateUserName(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")
	target := e.register(t, "ana@example.com")

	u, err := e.admin.UpdateUser(t.Context(), p, target.ID,
		application.UserChange{Name: fxPtr("  Ana Lima ")})
	require.NoError(t, err)

	assert.Equal(t, "Ana Lima", u.Name)
	assert.Equal(t, domain.StatusActive, u.Status)
	assert.Equal(t, "Ana Lima", e.stored(t, "ana@example.com").Name)
	events := fxEvents(e, domain.AuditUserUpdated)
	require.Len(t, events, 1)
	assert.Equal(t, target.ID, events[0].TargetID)
	assert.Equal(t, p.UserID, events[0].ActorID)
}

func TestAdminUpdateUserDisableRevokesSessions(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")
	target := e.register(t, "ana@example.com")
	first, fp := e.login(t, "ana@example.com")
	second, sp := e.login(t, "ana@example.com")

	u, err := e.admin.UpdateUser(t.Context(), p, target.ID,
		application.UserChange{Status: fxPtr("disabled")})
	require.NoError(t, err)
	assert.Equal(t, domain.StatusDisabled, u.Status)

	for _, s := range []struct {
		pair application.TokenPair
		id   string
	}{{first, fp.SessionID}, {second, sp.SessionID}} {
		assert.False(t, e.authenticates(t, s.pair.AccessToken))
		assert.False(t, fxSessionActive(t, e, s.id), "session %s", s.id)
		_, err := e.auth.Refresh(t.Context(), s.pair.RefreshToken)
		assert.ErrorIs(t, err, domain.ErrUnauthenticated)
	}
	_, err = fxLogin(t, e, "ana@example.com", goodPassword, "192.0.2.50")
	assert.ErrorIs(t, err, domain.ErrInvalidCredentials, "a disabled account cannot log in")

	// Re-enabling revives none of the old sessions.
	u, err = e.admin.UpdateUser(t.Context(), p, target.ID,
		application.UserChange{Status: fxPtr("active")})
	require.NoError(t, err)
	assert.Equal(t, domain.StatusActive, u.Status)
	assert.False(t, e.authenticates(t, first.AccessToken))
	assert.False(t, e.authenticates(t, second.AccessToken))
	_, err = e.auth.Refresh(t.Context(), first.RefreshToken)
	assert.ErrorIs(t, err, domain.ErrUnauthenticated)
	pair, err := fxLogin(t, e, "ana@example.com", goodPassword, "192.0.2.50")
	require.NoError(t, err, "a re-enabled account logs in again")
	assert.True(t, e.authenticates(t, pair.AccessToken))
}

func TestAdminUpdateUserLastAdmin(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, e *env) // runs after admin@ exists
		wantErr   error
		wantState domain.Status
	}{
		{name: "the only admin", wantErr: domain.ErrConflict, wantState: domain.StatusActive},
		{
			name: "the other admin is disabled",
			setup: func(t *testing.T, e *env) {
				other, _, _ := fxAccount(t, e, "other@example.com", domain.RoleAdmin)
				require.NoError(t, e.users.SetStatus(t.Context(), other.ID,
					domain.StatusDisabled, e.clock.Now()))
			},
			wantErr: domain.ErrConflict, wantState: domain.StatusActive,
		},
		{
			name: "the other admin is deleted",
			setup: func(t *testing.T, e *env) {
				other, _, _ := fxAccount(t, e, "other@example.com", domain.RoleAdmin)
				now := e.clock.Now()
				require.NoError(t, e.users.SetDeleted(t.Context(), other.ID, &now, now))
			},
			wantErr: domain.ErrConflict, wantState: domain.StatusActive,
		},
		{
			name: "another active admin remains",
			setup: func(t *testing.T, e *env) {
				fxAccount(t, e, "other@example.com", domain.RoleAdmin)
			},
			wantState: domain.StatusDisabled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			admin, pair, p := fxAccount(t, e, "admin@example.com", domain.RoleAdmin)
			if tt.setup != nil {
				tt.setup(t, e)
			}

			_, err := e.admin.UpdateUser(t.Context(), p, admin.ID,
				application.UserChange{Status: fxPtr("disabled")})

			assert.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, tt.wantState, e.stored(t, "admin@example.com").Status)
			assert.Equal(t, tt.wantErr == nil, !e.authenticates(t, pair.AccessToken),
				"sessions end only when the change happens")
		})
	}
}

func TestAdminUpdateUserValidation(t *testing.T) {
	tests := []struct {
		name      string
		change    application.UserChange
		wantField string
	}{
		{name: "status deleted", change: application.UserChange{Status: fxPtr("deleted")},
			wantField: "status"},
		{name: "status bogus", change: application.UserChange{Status: fxPtr("bogus")},
			wantField: "status"},
		{name: "status empty", change: application.UserChange{Status: fxPtr("")},
			wantField: "status"},
		{name: "status in upper case", change: application.UserChange{Status: fxPtr("DISABLED")},
			wantField: "status"},
		{name: "overlong name", change: application.UserChange{Name: fxPtr(strings.Repeat("n", 101))},
			wantField: "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, p := fxAdmin(t, e, "admin@example.com")
			target := e.register(t, "ana@example.com")
			pair, _ := e.login(t, "ana@example.com")

			_, err := e.admin.UpdateUser(t.Context(), p, target.ID, tt.change)

			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrInvalid)
			assert.Equal(t, []string{tt.wantField}, fieldNames(t, err))
			stored := e.stored(t, "ana@example.com")
			assert.Equal(t, domain.StatusActive, stored.Status)
			assert.Empty(t, stored.Name)
			assert.True(t, e.authenticates(t, pair.AccessToken))
			assert.Empty(t, fxEvents(e, domain.AuditUserUpdated))
		})
	}
}

func TestAdminUpdateUnknownUser(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")

	_, err := e.admin.UpdateUser(t.Context(), p, "nobody",
		application.UserChange{Name: fxPtr("x")})

	assert.ErrorIs(t, err, domain.ErrNotFound)
}

func TestAdminSetUserRoles(t *testing.T) {
	tests := []struct {
		name      string
		caller    string // "admin" or "assigner" (roles:assign and users:read)
		self      bool   // the caller targets itself
		roles     []string
		wantErr   error
		wantRoles []string
	}{
		{name: "grant a custom role", caller: "admin", roles: []string{"user", "reader"},
			wantRoles: []string{"reader", "user"}},
		{name: "user is always kept", caller: "admin", roles: []string{"reader"},
			wantRoles: []string{"reader", "user"}},
		{name: "grant admin", caller: "admin", roles: []string{"user", "admin"},
			wantRoles: []string{"admin", "user"}},
		{name: "unknown role", caller: "admin", roles: []string{"user", "ghost"},
			wantErr: domain.ErrNotFound},
		{name: "malformed role name", caller: "admin", roles: []string{"user", "Bad Role"},
			wantErr: domain.ErrNotFound},
		{name: "empty role name (a JSON null)", caller: "admin", roles: []string{"user", ""},
			wantErr: domain.ErrInvalid},
		{name: "assigner grants a role within its permissions", caller: "assigner",
			roles: []string{"user", "reader"}, wantRoles: []string{"reader", "user"}},
		{name: "assigner grants admin", caller: "assigner", roles: []string{"user", "admin"},
			wantErr: domain.ErrForbidden},
		{name: "assigner grants a role with a permission it lacks", caller: "assigner",
			roles: []string{"user", "deleter"}, wantErr: domain.ErrForbidden},
		{name: "no self-escalation to admin", caller: "assigner", self: true,
			roles: []string{"user", "assigner", "admin"}, wantErr: domain.ErrForbidden},
		{name: "no self-escalation to another role", caller: "assigner", self: true,
			roles: []string{"user", "assigner", "deleter"}, wantErr: domain.ErrForbidden},
		{name: "self cannot add a role even within its permissions", caller: "assigner",
			self: true, roles: []string{"user", "assigner", "reader"}, wantErr: domain.ErrForbidden},
		{name: "self keeps its own roles", caller: "assigner", self: true,
			roles:     []string{"user", "assigner"},
			wantRoles: []string{"assigner", "user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			fxRole(t, e, "reader", domain.PermUsersRead)
			fxRole(t, e, "deleter", domain.PermUsersDelete)
			fxRole(t, e, "assigner", domain.PermRolesAssign, domain.PermUsersRead)
			fxAdmin(t, e, "root@example.com")
			var p application.Principal
			if tt.caller == "admin" {
				_, p = fxAdmin(t, e, "admin@example.com")
			} else {
				_, _, p = fxAccount(t, e, "assigner@example.com", "assigner")
			}
			target := p.UserID
			if !tt.self {
				target = e.register(t, "ana@example.com").ID
			}
			before, err := e.users.ByID(t.Context(), target)
			require.NoError(t, err)

			u, err := e.admin.SetUserRoles(t.Context(), p, target, tt.roles)

			after, gerr := e.users.ByID(t.Context(), target)
			require.NoError(t, gerr)
			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, before.Roles, after.Roles, "roles unchanged")
				assert.Empty(t, fxEvents(e, domain.AuditUserRolesSet))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantRoles, u.Roles)
			assert.Equal(t, tt.wantRoles, after.Roles)
			events := fxEvents(e, domain.AuditUserRolesSet)
			require.Len(t, events, 1)
			assert.Equal(t, p.UserID, events[0].ActorID)
			assert.Equal(t, target, events[0].TargetID)
		})
	}
}

func TestAdminSetUserRolesLastAdmin(t *testing.T) {
	tests := []struct {
		name      string
		twoAdmins bool
		roles     []string
		wantErr   error
	}{
		{name: "strip the only admin", roles: []string{"user"}, wantErr: domain.ErrConflict},
		{name: "strip every role of the only admin", roles: []string{}, wantErr: domain.ErrConflict},
		{name: "the only admin keeps admin", roles: []string{"admin", "user"}},
		{name: "strip one of two admins", twoAdmins: true, roles: []string{"user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			admin, p := fxAdmin(t, e, "admin@example.com")
			if tt.twoAdmins {
				fxAdmin(t, e, "other@example.com")
			}

			_, err := e.admin.SetUserRoles(t.Context(), p, admin.ID, tt.roles)

			roles := e.stored(t, "admin@example.com").Roles
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, []string{"admin", "user"}, roles)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, domain.SortedUnique(tt.roles), roles)
		})
	}
}

func TestAdminSetUserRolesTakesEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	fxRole(t, e, "reader", domain.PermUsersRead)
	_, p := fxAdmin(t, e, "admin@example.com")
	target := e.register(t, "ana@example.com")
	pair, before := e.login(t, "ana@example.com")
	require.Empty(t, before.Permissions)

	_, err := e.admin.SetUserRoles(t.Context(), p, target.ID, []string{"user", "reader"})
	require.NoError(t, err)
	now, err := e.auth.Authenticate(t.Context(), pair.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"reader", "user"}, now.Roles)
	assert.Equal(t, []string{domain.PermUsersRead}, now.Permissions)
	assert.NoError(t, application.Authorize(now, domain.PermUsersRead))

	_, err = e.admin.SetUserRoles(t.Context(), p, target.ID, []string{"user"})
	require.NoError(t, err)
	now, err = e.auth.Authenticate(t.Context(), pair.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"user"}, now.Roles)
	assert.Empty(t, now.Permissions)
	assert.ErrorIs(t, application.Authorize(now, domain.PermUsersRead), domain.ErrForbidden)
}

func TestAdminSoftDeleteUser(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")
	target := e.register(t, "ana@example.com")
	pair, tp := e.login(t, "ana@example.com")
	e.clock.Advance(time.Minute)
	deletedAt := e.clock.Now()

	require.NoError(t, e.admin.DeleteUser(t.Context(), p, target.ID, false))

	stored := e.stored(t, "ana@example.com")
	require.NotNil(t, stored.DeletedAt)
	assert.True(t, stored.DeletedAt.Equal(deletedAt), "deleted at %v", stored.DeletedAt)
	assert.False(t, e.authenticates(t, pair.AccessToken))
	assert.False(t, fxSessionActive(t, e, tp.SessionID))
	_, err := e.auth.Refresh(t.Context(), pair.RefreshToken)
	assert.ErrorIs(t, err, domain.ErrUnauthenticated)
	_, err = fxLogin(t, e, "ana@example.com", goodPassword, "192.0.2.50")
	assert.ErrorIs(t, err, domain.ErrInvalidCredentials)
	_, err = e.auth.Register(t.Context(), "ANA@example.com", goodPassword, "")
	assert.ErrorIs(t, err, domain.ErrConflict, "the email stays taken")

	mails := fxMailsTo(e, "ana@example.com")
	require.Len(t, mails, 1)
	assert.Equal(t, "Your account was deleted", mails[0].Subject)
	events := fxEvents(e, domain.AuditAccountDeleted)
	require.Len(t, events, 1)
	assert.Equal(t, p.UserID, events[0].ActorID)
	assert.Equal(t, target.ID, events[0].TargetID)

	// Deleting again changes nothing: the restore window keeps running.
	e.clock.Advance(time.Hour)
	require.NoError(t, e.admin.DeleteUser(t.Context(), p, target.ID, false))
	assert.True(t, e.stored(t, "ana@example.com").DeletedAt.Equal(deletedAt))
}

func TestAdminPurgeUser(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")
	target := e.register(t, "ana@example.com")
	pair, _ := e.login(t, "ana@example.com")

	require.NoError(t, e.admin.DeleteUser(t.Context(), p, target.ID, true))

	_, err := e.users.ByID(t.Context(), target.ID)
	assert.ErrorIs(t, err, domain.ErrNotFound)
	_, err = e.admin.GetUser(t.Context(), target.ID)
	assert.ErrorIs(t, err, domain.ErrNotFound)
	assert.False(t, e.authenticates(t, pair.AccessToken))
	_, err = fxLogin(t, e, "ana@example.com", goodPassword, "192.0.2.50")
	assert.ErrorIs(t, err, domain.ErrInvalidCredentials)
	events := fxEvents(e, domain.AuditAccountPurged)
	require.Len(t, events, 1)
	assert.Equal(t, target.ID, events[0].TargetID)
	assert.Equal(t, p.UserID, events[0].ActorID)
}

func TestAdminDeleteUserLastAdmin(t *testing.T) {
	for _, permanent := range []bool{false, true} {
		name := "soft"
		if permanent {
			name = "permanent"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			admin, pair, p := fxAccount(t, e, "admin@example.com", domain.RoleAdmin)

			err := e.admin.DeleteUser(t.Context(), p, admin.ID, permanent)

			assert.ErrorIs(t, err, domain.ErrConflict)
			stored := e.stored(t, "admin@example.com")
			assert.Nil(t, stored.DeletedAt)
			assert.True(t, e.authenticates(t, pair.AccessToken))
			assert.Empty(t, e.mailer.Messages())
			assert.Empty(t, fxEvents(e, domain.AuditAccountDeleted))
			assert.Empty(t, fxEvents(e, domain.AuditAccountPurged))
		})
		t.Run(name+" with a second admin", func(t *testing.T) {
			e := newEnv(t)
			admin, p := fxAdmin(t, e, "admin@example.com")
			fxAdmin(t, e, "other@example.com")

			assert.NoError(t, e.admin.DeleteUser(t.Context(), p, admin.ID, permanent))
		})
	}
}

func TestAdminDeleteUnknownUser(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")

	for _, permanent := range []bool{false, true} {
		err := e.admin.DeleteUser(t.Context(), p, "nobody", permanent)
		assert.ErrorIs(t, err, domain.ErrNotFound, "permanent %v", permanent)
	}
}

func TestAdminRestoreUser(t *testing.T) {
	window := testConfig().RestoreWindow
	tests := []struct {
		name    string
		deleted bool
		after   time.Duration // from the deletion to the restore
		wantErr error
	}{
		{name: "not deleted", wantErr: domain.ErrConflict},
		{name: "right after the deletion", deleted: true},
		{name: "inside the window", deleted: true, after: window - time.Hour},
		{name: "at the end of the window", deleted: true, after: window},
		{name: "after the window", deleted: true, after: window + time.Second,
			wantErr: domain.ErrGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, p := fxAdmin(t, e, "admin@example.com")
			target := e.register(t, "ana@example.com")
			pair, tp := e.login(t, "ana@example.com")
			if tt.deleted {
				require.NoError(t, e.admin.DeleteUser(t.Context(), p, target.ID, false))
			}
			e.clock.Advance(tt.after)
			mailsBefore := len(fxMailsTo(e, "ana@example.com"))

			u, err := e.admin.RestoreUser(t.Context(), p, target.ID)

			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Empty(t, fxEvents(e, domain.AuditAccountRestored))
				assert.Len(t, fxMailsTo(e, "ana@example.com"), mailsBefore)
				return
			}
			require.NoError(t, err)
			assert.Nil(t, u.DeletedAt)
			assert.Nil(t, e.stored(t, "ana@example.com").DeletedAt)
			assert.False(t, e.authenticates(t, pair.AccessToken), "old sessions stay revoked")
			assert.False(t, fxSessionActive(t, e, tp.SessionID))
			_, err = e.auth.Refresh(t.Context(), pair.RefreshToken)
			assert.ErrorIs(t, err, domain.ErrUnauthenticated)
			_, err = fxLogin(t, e, "ana@example.com", goodPassword, "192.0.2.50")
			assert.NoError(t, err, "the restored account logs in")

			events := fxEvents(e, domain.AuditAccountRestored)
			require.Len(t, events, 1)
			assert.Equal(t, p.UserID, events[0].ActorID)
			assert.Equal(t, target.ID, events[0].TargetID)
			mails := fxMailsTo(e, "ana@example.com")
			require.Len(t, mails, mailsBefore+1)
			assert.Equal(t, "Your account was restored", mails[len(mails)-1].Subject)
		})
	}
}

func TestAdminRestoreUnknownUser(t *testing.T) {
	e := newEnv(t)
	_, p := fxAdmin(t, e, "admin@example.com")

	_, err := e.admin.RestoreUser(t.Context(), p, "nobody")

	assert.ErrorIs(t, err, domain.ErrNotFound)
}

// Whoever may edit users cannot act on an account that holds permissions
// it lacks; on a peer it may.
func TestAdminCannotActOnThoseWhoOutrankIt(t *testing.T) {
	ops := map[string]func(e *env, p application.Principal, id string) error{
		"rename": func(e *env, p application.Principal, id string) error {
			name := "renamed"
			_, err := e.admin.UpdateUser(t.Context(), p, id, application.UserChange{Name: &name})
			return err
		},
		"disable": func(e *env, p application.Principal, id string) error {
			st := string(domain.StatusDisabled)
			_, err := e.admin.UpdateUser(t.Context(), p, id, application.UserChange{Status: &st})
			return err
		},
		"strip roles": func(e *env, p application.Principal, id string) error {
			_, err := e.admin.SetUserRoles(t.Context(), p, id, []string{domain.RoleUser})
			return err
		},
		"delete": func(e *env, p application.Principal, id string) error {
			return e.admin.DeleteUser(t.Context(), p, id, false)
		},
		"purge": func(e *env, p application.Principal, id string) error {
			return e.admin.DeleteUser(t.Context(), p, id, true)
		},
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			fxRole(t, e, "ops", domain.PermUsersRead, domain.PermUsersWrite, domain.PermUsersDelete,
				domain.PermRolesAssign)
			fxAdmin(t, e, "root@example.com")
			second, _ := fxAdmin(t, e, "second@example.com")
			_, _, p := fxAccount(t, e, "ops@example.com", "ops")
			peer, _, _ := fxAccount(t, e, "peer@example.com", "ops")

			err := op(e, p, second.ID)

			assert.ErrorIs(t, err, domain.ErrForbidden)
			after, gerr := e.users.ByID(t.Context(), second.ID)
			require.NoError(t, gerr)
			assert.Equal(t, second, after, "the administrator is untouched")
			assert.NoError(t, op(e, p, peer.ID), "a peer holding nothing more may be managed")
		})
	}

	t.Run("restore", func(t *testing.T) {
		e := newEnv(t)
		fxRole(t, e, "ops", domain.PermUsersRead, domain.PermUsersWrite, domain.PermUsersDelete)
		_, root := fxAdmin(t, e, "root@example.com")
		second, _ := fxAdmin(t, e, "second@example.com")
		_, _, p := fxAccount(t, e, "ops@example.com", "ops")
		require.NoError(t, e.admin.DeleteUser(t.Context(), root, second.ID, false))

		_, err := e.admin.RestoreUser(t.Context(), p, second.ID)

		assert.ErrorIs(t, err, domain.ErrForbidden)
		_, err = e.admin.RestoreUser(t.Context(), root, second.ID)
		assert.NoError(t, err, "an administrator may")
	})
}
