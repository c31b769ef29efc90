package application_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
)

func TestRegisterCreatesActiveUser(t *testing.T) {
	tests := []struct {
		name      string
		email     string
		userName  string
		wantEmail string
		wantName  string
	}{
		{
			name:      "plain",
			email:     "ana@example.com",
			wantEmail: "ana@example.com",
		},
		{
			name:      "trimmed, case kept",
			email:     "  Ana@Example.COM \t",
			userName:  "  Ana Lima  ",
			wantEmail: "Ana@Example.COM",
			wantName:  "Ana Lima",
		},
		{
			name:      "decomposed spelling stored composed",
			email:     " jose\u0301@example.com ",
			userName:  "Jose\u0301",
			wantEmail: "jos\u00e9@example.com",
			wantName:  "Jos\u00e9",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.clock.Advance(time.Hour)
			now := start.Add(time.Hour)

			u, err := e.auth.Register(t.Context(), tt.email, goodPassword, tt.userName)
			require.NoError(t, err)

			assert.NotEmpty(t, u.ID)
			assert.Equal(t, tt.wantEmail, u.Email)
			assert.Equal(t, tt.wantName, u.Name)
			assert.Equal(t, domain.StatusActive, u.Status)
			assert.Equal(t, []string{domain.RoleUser}, u.Roles)
			assert.Empty(t, u.Permissions)
			assert.True(t, u.CreatedAt.Equal(now), "created at %v", u.CreatedAt)
			assert.True(t, u.UpdatedAt.Equal(now), "updated at %v", u.UpdatedAt)
			assert.Nil(t, u.DeletedAt)

			got := e.stored(t, tt.wantEmail)
			assert.Equal(t, u.ID, got.ID)
			assert.Equal(t, tt.wantEmail, got.Email)
		})
	}
}

func TestRegisterHashesPassword(t *testing.T) {
	e := newEnv(t)
	hashesBefore, _ := e.hasher.Counts()

	e.register(t, "ana@example.com")

	hashes, _ := e.hasher.Counts()
	assert.Equal(t, 1, hashes-hashesBefore)
	got := e.stored(t, "ana@example.com")
	assert.NotEmpty(t, got.PasswordHash)
	assert.NotEqual(t, goodPassword, got.PasswordHash)
	ok, err := e.hasher.Verify(t.Context(), goodPassword, got.PasswordHash)
	require.NoError(t, err)
	assert.True(t, ok, "stored hash must verify the password")
}

func TestRegisterDuplicateEmail(t *testing.T) {
	tests := []struct {
		name   string
		first  string
		second string
	}{
		{"same spelling", "ana@example.com", "ana@example.com"},
		{"other case", "ana@example.com", "Ana@Example.COM"},
		{"surrounding spaces", "ana@example.com", "  ana@example.com "},
		{"NFD after NFC", "jos\u00e9@example.com", "jose\u0301@example.com"},
		{"NFC after NFD", "jose\u0301@example.com", "jos\u00e9@example.com"},
		{"NFD upper case after NFC", "jos\u00e9@example.com", "JOSE\u0301@EXAMPLE.COM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			first := e.register(t, tt.first)

			_, err := e.auth.Register(t.Context(), tt.second, "another fine passphrase", "")

			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrConflict)
			assert.Equal(t, first.ID, e.stored(t, tt.second).ID,
				"the first account must stay the one under that email")
		})
	}
}

func TestRegisterValidation(t *testing.T) {
	tests := []struct {
		name       string
		email      string
		password   string
		userName   string
		wantFields []string
	}{
		{
			name:       "email without at",
			email:      "not-an-email",
			password:   goodPassword,
			wantFields: []string{"email"},
		},
		{
			name:       "email without domain dot",
			email:      "ana@localhost",
			password:   goodPassword,
			wantFields: []string{"email"},
		},
		{
			name:       "empty email",
			email:      "   ",
			password:   goodPassword,
			wantFields: []string{"email"},
		},
		{
			name:       "common password",
			email:      "ana@example.com",
			password:   "password1",
			wantFields: []string{"password"},
		},
		{
			name:       "common password in other case",
			email:      "ana@example.com",
			password:   "PassWord1",
			wantFields: []string{"password"},
		},
		{
			name:       "password equal to email",
			email:      "ana.lima@example.com",
			password:   "ana.lima@example.com",
			wantFields: []string{"password"},
		},
		{
			name:       "password equal to email in other case",
			email:      "ana.lima@example.com",
			password:   "ANA.LIMA@Example.com",
			wantFields: []string{"password"},
		},
		{
			name:       "password of 7 characters",
			email:      "ana@example.com",
			password:   "zq8!vR3",
			wantFields: []string{"password"},
		},
		{
			name:       "password of 7 two-byte characters",
			email:      "ana@example.com",
			password:   strings.Repeat("é", 7),
			wantFields: []string{"password"},
		},
		{
			name:       "password of 257 characters",
			email:      "ana@example.com",
			password:   strings.Repeat("x", 257),
			wantFields: []string{"password"},
		},
		{
			name:       "name of 101 characters",
			email:      "ana@example.com",
			password:   goodPassword,
			userName:   strings.Repeat("n", 101),
			wantFields: []string{"name"},
		},
		{
			name:       "name with control character",
			email:      "ana@example.com",
			password:   goodPassword,
			userName:   "Ana\u0007Lima",
			wantFields: []string{"name"},
		},
		{
			name:       "every field bad",
			email:      "not-an-email",
			password:   "short",
			userName:   strings.Repeat("n", 101),
			wantFields: []string{"email", "password", "name"},
		},
		{
			name:       "name and password bad",
			email:      "ana@example.com",
			password:   "password1",
			userName:   "tab\tinside",
			wantFields: []string{"password", "name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)

			_, err := e.auth.Register(t.Context(), tt.email, tt.password, tt.userName)

			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrInvalid)
			assert.ElementsMatch(t, tt.wantFields, fieldNames(t, err))
			hashes, _ := e.hasher.Counts()
			assert.Zero(t, hashes, "nothing may be hashed for a refused request")
			_, err = e.users.ByEmailKey(t.Context(), domain.EmailKey(tt.email))
			assert.ErrorIs(t, err, domain.ErrNotFound, "no account may be created")
		})
	}
}

func TestRegisterAcceptsBoundaries(t *testing.T) {
	tests := []struct {
		name     string
		password string
		userName string
	}{
		{"password of 8 characters", "zq8!vR3k", ""},
		{"password of 256 characters", strings.Repeat("x", 256), ""},
		{"password of 256 three-byte characters", strings.Repeat("€", 256), ""},
		{"name of 100 characters", goodPassword, strings.Repeat("n", 100)},
		{"name of 100 characters after trimming", goodPassword, " " + strings.Repeat("n", 100) + " "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)

			_, err := e.auth.Register(t.Context(), "ana@example.com", tt.password, tt.userName)

			assert.NoError(t, err)
		})
	}
}

func TestLoginSuccess(t *testing.T) {
	tests := []struct {
		name  string
		email string
	}{
		{"same spelling", "ana@example.com"},
		{"other case and spaces", "  ANA@Example.com "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.register(t, "ana@example.com")
			e.clock.Advance(time.Minute)

			pair, err := e.auth.Login(t.Context(), tt.email, goodPassword, application.Client{
				IP:        "198.51.100.7",
				UserAgent: "curl/8",
			})
			require.NoError(t, err)

			assert.NotEmpty(t, pair.AccessToken)
			assert.NotEmpty(t, pair.RefreshToken)
			assert.NotEqual(t, pair.AccessToken, pair.RefreshToken)
			assert.Equal(t, e.cfg.AccessTTL, pair.ExpiresIn)
			p, err := e.auth.Authenticate(t.Context(), pair.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, u.ID, p.UserID)

			s, err := e.sessions.ByID(t.Context(), p.SessionID)
			require.NoError(t, err)
			now := start.Add(time.Minute)
			assert.Equal(t, u.ID, s.UserID)
			assert.Equal(t, "198.51.100.7", s.IP)
			assert.Equal(t, "curl/8", s.UserAgent)
			assert.True(t, s.CreatedAt.Equal(now))
			assert.True(t, s.ExpiresAt.Equal(now.Add(e.cfg.RefreshTTL)))
			assert.Nil(t, s.RevokedAt)
		})
	}
}

func TestLoginCleansUserAgent(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ana@example.com")
	agent := "Mozilla\x00/5.0\n" + strings.Repeat("ü", 600) + "\xff"

	pair, err := e.auth.Login(t.Context(), "ana@example.com", goodPassword,
		application.Client{UserAgent: agent})
	require.NoError(t, err)

	p, err := e.auth.Authenticate(t.Context(), pair.AccessToken)
	require.NoError(t, err)
	s, err := e.sessions.ByID(t.Context(), p.SessionID)
	require.NoError(t, err)
	assert.Equal(t, "Mozilla/5.0"+strings.Repeat("ü", 501), s.UserAgent)
}

// TestLoginRefusalsLookAlike checks that every reason to refuse a login
// gives the same error after the same amount of hashing.
func TestLoginRefusalsLookAlike(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ana@example.com")
	bob := e.register(t, "bob@example.com")
	require.NoError(t, e.users.SetStatus(context.Background(), bob.ID, domain.StatusDisabled, e.clock.Now()))

	tests := []struct {
		name       string
		email      string
		password   string
		wantHashes int
	}{
		// The first refusal of an unknown email makes the dummy hash.
		{"unknown email, first time", "nobody@example.com", goodPassword, 1},
		{"unknown email, again", "nobody@example.com", goodPassword, 0},
		{"wrong password", "ana@example.com", "wrong horse battery staple", 0},
		{"disabled account, right password", "bob@example.com", goodPassword, 0},
		{"disabled account, wrong password", "bob@example.com", "wrong horse battery staple", 0},
		{"unknown email, third time", "other@example.com", "x", 0},
	}
	var messages []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hashesBefore, verifiesBefore := e.hasher.Counts()

			pair, err := e.auth.Login(t.Context(), tt.email, tt.password, application.Client{})

			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrInvalidCredentials)
			assert.Zero(t, pair)
			var de *domain.Error
			if assert.ErrorAs(t, err, &de) {
				assert.Equal(t, "invalid_credentials", de.Code)
			}
			messages = append(messages, err.Error())
			hashes, verifies := e.hasher.Counts()
			assert.Equal(t, 1, verifies-verifiesBefore, "verifications")
			assert.Equal(t, tt.wantHashes, hashes-hashesBefore, "hashes")
		})
	}
	require.Len(t, messages, len(tests))
	for _, m := range messages[1:] {
		assert.Equal(t, messages[0], m)
	}
	sessions, err := e.sessions.ListByUser(t.Context(), bob.ID, e.clock.Now())
	require.NoError(t, err)
	assert.Empty(t, sessions, "a refused login must start no session")
}

func TestLoginRequiresEmailAndPassword(t *testing.T) {
	tests := []struct {
		name       string
		email      string
		password   string
		wantFields []string
	}{
		{"no email", "", goodPassword, []string{"email"}},
		{"no password", "ana@example.com", "", []string{"password"}},
		{"neither", "", "", []string{"email", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "ana@example.com")
			_, verifiesBefore := e.hasher.Counts()

			_, err := e.auth.Login(t.Context(), tt.email, tt.password, application.Client{})

			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrInvalid)
			assert.NotErrorIs(t, err, domain.ErrInvalidCredentials)
			assert.ElementsMatch(t, tt.wantFields, fieldNames(t, err))
			_, verifies := e.hasher.Counts()
			assert.Equal(t, verifiesBefore, verifies)
		})
	}
}

func TestLoginOverlongPassword(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		password string
	}{
		{"known email, ascii", "ana@example.com", strings.Repeat("a", 300)},
		{"unknown email, ascii", "nobody@example.com", strings.Repeat("a", 300)},
		{"known email, cut inside a character", "ana@example.com", strings.Repeat("€", 300)},
		{"known email, right password padded", "ana@example.com", goodPassword + strings.Repeat(" ", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "ana@example.com")
			_, verifiesBefore := e.hasher.Counts()

			var err error
			require.NotPanics(t, func() {
				_, err = e.auth.Login(t.Context(), tt.email, tt.password, application.Client{})
			})

			assert.ErrorIs(t, err, domain.ErrInvalidCredentials)
			_, verifies := e.hasher.Counts()
			assert.Equal(t, 1, verifies-verifiesBefore, "verifications")
		})
	}
}

func TestLoginRehashesOutdatedHash(t *testing.T) {
	e := newEnv(t)
	e.hasher.Version = 0
	e.register(t, "ana@example.com")
	require.True(t, strings.HasPrefix(e.stored(t, "ana@example.com").PasswordHash, "fake$v0$"))
	e.hasher.Version = 1

	// A refused login changes nothing.
	_, err := e.auth.Login(t.Context(), "ana@example.com", "wrong horse battery staple",
		application.Client{})
	require.ErrorIs(t, err, domain.ErrInvalidCredentials)
	assert.True(t, strings.HasPrefix(e.stored(t, "ana@example.com").PasswordHash, "fake$v0$"))

	hashesBefore, _ := e.hasher.Counts()
	e.login(t, "ana@example.com")
	hashes, _ := e.hasher.Counts()

	assert.Equal(t, 1, hashes-hashesBefore, "one rehash")
	got := e.stored(t, "ana@example.com").PasswordHash
	assert.True(t, strings.HasPrefix(got, "fake$v1$"), "stored hash %q", got)

	// The new hash works and needs no further upgrade.
	hashesBefore, _ = e.hasher.Counts()
	e.login(t, "ana@example.com")
	hashes, _ = e.hasher.Counts()
	assert.Equal(t, hashesBefore, hashes)
}

func TestLoginKeepsCurrentHash(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ana@example.com")
	before := e.stored(t, "ana@example.com").PasswordHash
	hashesBefore, _ := e.hasher.Counts()

	e.login(t, "ana@example.com")

	hashes, _ := e.hasher.Counts()
	assert.Equal(t, hashesBefore, hashes)
	assert.Equal(t, before, e.stored(t, "ana@example.com").PasswordHash)
}

func TestAuthenticate(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "ana@example.com")
	pair, _ := e.login(t, "ana@example.com")

	p, err := e.auth.Authenticate(t.Context(), pair.AccessToken)
	require.NoError(t, err)

	assert.Equal(t, u.ID, p.UserID)
	assert.NotEmpty(t, p.SessionID)
	assert.Equal(t, []string{domain.RoleUser}, p.Roles)
	assert.Empty(t, p.Permissions)

	// A permission granted to the role is in force on the next request.
	e.users.RolePermissions[domain.RoleUser] = []string{"notes:read"}
	p, err = e.auth.Authenticate(t.Context(), pair.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"notes:read"}, p.Permissions)
}

func TestAuthenticateAdmin(t *testing.T) {
	e := newEnv(t)
	hash, err := e.hasher.Hash(t.Context(), goodPassword)
	require.NoError(t, err)
	admin := domain.User{
		ID:           "admin-1",
		Email:        "root@example.com",
		Status:       domain.StatusActive,
		PasswordHash: hash,
	}
	err = e.users.Create(t.Context(), admin, domain.EmailKey(admin.Email),
		[]string{domain.RoleAdmin, domain.RoleUser})
	require.NoError(t, err)

	_, p := e.login(t, "root@example.com")

	var want []string
	for _, perm := range domain.BuiltinPermissions() {
		want = append(want, perm.Name)
	}
	assert.Equal(t, "admin-1", p.UserID)
	assert.Equal(t, []string{domain.RoleAdmin, domain.RoleUser}, p.Roles)
	assert.ElementsMatch(t, want, p.Permissions)
}

func TestAuthenticateRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env, pair application.TokenPair, p application.Principal) string
	}{
		{
			name: "session logged out",
			setup: func(t *testing.T, e *env, pair application.TokenPair, p application.Principal) string {
				require.NoError(t, e.auth.Logout(t.Context(), p, application.ScopeLocal))
				return pair.AccessToken
			},
		},
		{
			name: "session revoked from the account",
			setup: func(t *testing.T, e *env, pair application.TokenPair, p application.Principal) string {
				require.NoError(t, e.account.RevokeSession(t.Context(), p, p.SessionID))
				return pair.AccessToken
			},
		},
		{
			name: "account disabled",
			setup: func(t *testing.T, e *env, pair application.TokenPair, p application.Principal) string {
				require.NoError(t, e.users.SetStatus(context.Background(), p.UserID, domain.StatusDisabled, e.clock.Now()))
				return pair.AccessToken
			},
		},
		{
			name: "access token expired",
			setup: func(t *testing.T, e *env, pair application.TokenPair, _ application.Principal) string {
				e.clock.Advance(e.cfg.AccessTTL + time.Second)
				return pair.AccessToken
			},
		},
		{
			name: "access token at its expiry",
			setup: func(t *testing.T, e *env, pair application.TokenPair, _ application.Principal) string {
				e.clock.Advance(e.cfg.AccessTTL)
				return pair.AccessToken
			},
		},
		{
			name: "refresh token used as access token",
			setup: func(t *testing.T, _ *env, pair application.TokenPair, _ application.Principal) string {
				return pair.RefreshToken
			},
		},
		{
			name: "garbage",
			setup: func(*testing.T, *env, application.TokenPair, application.Principal) string {
				return "garbage"
			},
		},
		{
			name: "empty",
			setup: func(*testing.T, *env, application.TokenPair, application.Principal) string {
				return ""
			},
		},
		{
			name: "with scheme prefix",
			setup: func(_ *testing.T, _ *env, pair application.TokenPair, _ application.Principal) string {
				return "Bearer " + pair.AccessToken
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "ana@example.com")
			pair, p := e.login(t, "ana@example.com")
			token := tt.setup(t, e, pair, p)

			got, err := e.auth.Authenticate(t.Context(), token)

			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrUnauthenticated)
			assert.Zero(t, got)
		})
	}
}

func TestAuthenticateJustBeforeExpiry(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ana@example.com")
	pair, _ := e.login(t, "ana@example.com")

	e.clock.Advance(e.cfg.AccessTTL - time.Second)

	assert.True(t, e.authenticates(t, pair.AccessToken))
}

func TestLogout(t *testing.T) {
	tests := []struct {
		name       string
		scope      string
		wantActive [3]bool // the current session, then two others
	}{
		{"default is local", "", [3]bool{false, true, true}},
		{"local", application.ScopeLocal, [3]bool{false, true, true}},
		{"others", application.ScopeOthers, [3]bool{true, false, false}},
		{"global", application.ScopeGlobal, [3]bool{false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "ana@example.com")
			e.register(t, "bob@example.com")
			var pairs [3]application.TokenPair
			var current application.Principal
			for i := range pairs {
				var p application.Principal
				pairs[i], p = e.login(t, "ana@example.com")
				if i == 0 {
					current = p
				}
			}
			bobPair, _ := e.login(t, "bob@example.com")

			err := e.auth.Logout(t.Context(), current, tt.scope)
			require.NoError(t, err)

			for i, pair := range pairs {
				assert.Equal(t, tt.wantActive[i], e.authenticates(t, pair.AccessToken),
					"access token of session %d", i)
				_, err := e.auth.Refresh(t.Context(), pair.RefreshToken)
				if tt.wantActive[i] {
					assert.NoError(t, err, "refresh of session %d", i)
				} else {
					assert.ErrorIs(t, err, domain.ErrUnauthenticated, "refresh of session %d", i)
				}
			}
			assert.True(t, e.authenticates(t, bobPair.AccessToken),
				"another user's session must survive")
		})
	}
}

func TestLogoutUnknownScope(t *testing.T) {
	tests := []struct {
		name  string
		scope string
	}{
		{"unknown word", "everything"},
		{"upper case", "GLOBAL"},
		{"padded", " local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "ana@example.com")
			first, current := e.login(t, "ana@example.com")
			second, _ := e.login(t, "ana@example.com")

			err := e.auth.Logout(t.Context(), current, tt.scope)

			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrInvalid)
			assert.Equal(t, []string{"scope"}, fieldNames(t, err))
			assert.True(t, e.authenticates(t, first.AccessToken))
			assert.True(t, e.authenticates(t, second.AccessToken))
			list, err := e.sessions.ListByUser(t.Context(), current.UserID, e.clock.Now())
			require.NoError(t, err)
			assert.Len(t, list, 2)
		})
	}
}

func TestErrorsMatchTheirKinds(t *testing.T) {
	assert.True(t, errors.Is(application.ErrRefreshReused, domain.ErrUnauthenticated))
	assert.False(t, errors.Is(application.ErrRefreshReused, domain.ErrInvalidCredentials))
}
