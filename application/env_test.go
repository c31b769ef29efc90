package application_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
	"auth-service/ports/fakes"
)

// start is where the fake clock of every test stands at first.
var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// goodPassword passes the password policy for every address used here.
const goodPassword = "correct horse battery staple"

// testConfig is the configuration the use cases run with unless a test
// needs another.
func testConfig() application.Config {
	return application.Config{
		AccessTTL:         15 * time.Minute,
		RefreshTTL:        720 * time.Hour,
		ReuseGrace:        10 * time.Second,
		PasswordMinLength: 8,
		ResetTTL:          30 * time.Minute,
		RestoreWindow:     720 * time.Hour,
		ResetURL:          "https://auth.example.com/reset-password",
	}
}

// env is one set of fakes with the use cases built on them.
type env struct {
	cfg      application.Config
	users    *fakes.Users
	sessions *fakes.Sessions
	hasher   *fakes.Hasher
	tokens   *fakes.Tokens
	clock    *fakes.Clock
	random   *fakes.Random
	roles    *fakes.Roles
	resets   *fakes.Resets
	audit    *fakes.Audit
	mailer   *fakes.Mailer
	logins   *fakes.Throttle
	limits   *fakes.Throttle
	deps     application.Deps
	auth     *application.Auth
	account  *application.Account
	admin    *application.Admin
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, testConfig())
}

func newEnvWith(t *testing.T, cfg application.Config) *env {
	t.Helper()
	e := &env{
		cfg:      cfg,
		users:    fakes.NewUsers(),
		sessions: fakes.NewSessions(),
		hasher:   &fakes.Hasher{},
		clock:    fakes.NewClock(start),
		random:   &fakes.Random{},
	}
	e.tokens = &fakes.Tokens{Clock: e.clock}
	e.roles = fakes.NewRoles(e.users)
	e.resets = &fakes.Resets{}
	e.audit = &fakes.Audit{}
	e.mailer = &fakes.Mailer{}
	e.logins = &fakes.Throttle{}
	e.limits = &fakes.Throttle{}
	e.deps = application.Deps{
		Users:     e.users,
		Admin:     e.users,
		Roles:     e.roles,
		Sessions:  e.sessions,
		Resets:    e.resets,
		Audit:     e.audit,
		Tx:        &fakes.Transactor{},
		Hasher:    e.hasher,
		Tokens:    e.tokens,
		Mailer:    e.mailer,
		Clock:     e.clock,
		Random:    e.random,
		Throttles: application.Throttles{Login: e.logins, Sensitive: e.limits},
	}
	e.auth = application.NewAuth(cfg, e.deps)
	e.account = application.NewAccount(cfg, e.deps)
	e.admin = application.NewAdmin(cfg, e.deps)
	return e
}

// register creates an account with goodPassword.
func (e *env) register(t *testing.T, email string) domain.User {
	t.Helper()
	u, err := e.auth.Register(t.Context(), email, goodPassword, "")
	require.NoError(t, err)
	return u
}

// login starts a session with goodPassword and returns its tokens and the
// principal its access token stands for.
func (e *env) login(t *testing.T, email string) (application.TokenPair, application.Principal) {
	t.Helper()
	pair, err := e.auth.Login(t.Context(), email, goodPassword, application.Client{
		IP:        "192.0.2.1",
		UserAgent: "test-agent",
	})
	require.NoError(t, err)
	p, err := e.auth.Authenticate(t.Context(), pair.AccessToken)
	require.NoError(t, err)
	return pair, p
}

// stored returns the account as the user store holds it, hash included.
func (e *env) stored(t *testing.T, email string) domain.User {
	t.Helper()
	u, err := e.users.ByEmailKey(t.Context(), domain.EmailKey(email))
	require.NoError(t, err)
	return u
}

// authenticates reports whether an access token is accepted.
func (e *env) authenticates(t *testing.T, access string) bool {
	t.Helper()
	_, err := e.auth.Authenticate(t.Context(), access)
	return err == nil
}

// fieldNames returns the fields named by a *domain.ValidationError, failing
// the test when err is not one.
func fieldNames(t *testing.T, err error) []string {
	t.Helper()
	var ve *domain.ValidationError
	require.ErrorAs(t, err, &ve)
	names := make([]string, 0, len(ve.Fields))
	for _, f := range ve.Fields {
		names = append(names, f.Field)
	}
	return names
}
