package application

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"auth-service/domain"
	"auth-service/ports"
)

// Config holds the settings of the authentication use cases.
type Config struct {
	AccessTTL         time.Duration
	RefreshTTL        time.Duration
	ReuseGrace        time.Duration
	PasswordMinLength int
	ResetTTL          time.Duration
	RestoreWindow     time.Duration
	ResetURL          string
}

// TokenPair is what a login or refresh hands the client.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
}

// Client describes where a request came from, as recorded on sessions.
type Client struct {
	IP        string
	UserAgent string
}

// Principal is the caller behind a verified access token, as the database
// sees it now.
type Principal struct {
	UserID      string
	SessionID   string
	Email       string
	Roles       []string
	Permissions []string
	// IP is the client address of the current request, for the audit
	// trail; the HTTP adapter sets it.
	IP string
}

// Logout scopes.
const (
	ScopeLocal  = "local"
	ScopeOthers = "others"
	ScopeGlobal = "global"
)

// ErrRefreshReused is returned, wrapping domain.ErrUnauthenticated, when a
// refresh token that was already rotated comes back outside the grace
// interval; the whole session has then been revoked.
var ErrRefreshReused = domain.NewError(domain.ErrUnauthenticated,
	"refresh_token_reused", "refresh token was already used; the session is revoked")

var (
	errBadCredentials = domain.NewError(domain.ErrInvalidCredentials,
		"invalid_credentials", "email or password is incorrect")
	errBadRefresh = domain.NewError(domain.ErrUnauthenticated,
		"invalid_refresh_token", "refresh token is unknown, expired or revoked")
	errBadAccess = domain.NewError(domain.ErrUnauthenticated,
		"invalid_token", "access token is missing, invalid, expired or revoked")
)

// maxGraceHops bounds how far a reused token may be followed along the
// rotations made inside the grace interval.
const maxGraceHops = 8

// Throttles are the attempt counters: failed logins, and the requests of
// the forgot, reset and restore routes.
type Throttles struct {
	Login     ports.Throttle
	Sensitive ports.Throttle
}

// Deps are the ports the use cases share.
type Deps struct {
	Users     ports.UserStore
	Admin     ports.UserAdmin
	Roles     ports.RoleAdmin
	Sessions  ports.SessionStore
	Resets    ports.ResetStore
	Audit     ports.AuditLog
	Tx        ports.Transactor
	Hasher    ports.PasswordHasher
	Tokens    ports.AccessTokens
	Mailer    ports.Mailer
	Clock     ports.Clock
	Random    ports.Random
	Throttles Throttles
}

// Auth holds registration, login, refresh, logout and token checks.
type Auth struct {
	Deps
	cfg    Config
	policy domain.PasswordPolicy

	dummyMu   sync.Mutex
	dummyHash string
}

// NewAuth returns the authentication use cases.
func NewAuth(cfg Config, d Deps) *Auth {
	d = d.normalized()
	return &Auth{Deps: d, cfg: cfg, policy: domain.PasswordPolicy{MinLength: cfg.PasswordMinLength}}
}

// Register creates an active account with the role "user". It returns a
// *domain.ValidationError for a bad email, name or password and
// domain.ErrConflict when the email is taken.
func (a *Auth) Register(ctx context.Context, email, password, name string) (domain.User, error) {
	v := &domain.ValidationError{}
	em, err := domain.ParseEmail(email)
	collect(v, err)
	cleanName, err := domain.ParseName(name)
	collect(v, err)
	collect(v, a.policy.Check("password", password, em.Address))
	if err := v.Err(); err != nil {
		return domain.User{}, err
	}

	hash, err := a.Hasher.Hash(ctx, password)
	if err != nil {
		return domain.User{}, fmt.Errorf("hash password: %w", err)
	}
	now := a.Clock.Now()
	u := domain.User{
		ID:           a.Random.NewID(),
		Email:        em.Address,
		Name:         cleanName,
		Status:       domain.StatusActive,
		PasswordHash: hash,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if err := a.Users.Create(ctx, u, em.Key, []string{domain.RoleUser}); err != nil {
		return domain.User{}, err
	}
	return a.Users.ByID(ctx, u.ID)
}

// Login checks an email and password and starts a session. Every reason
// to refuse (unknown email, wrong password, disabled or deleted account)
// gives the same error, domain.ErrInvalidCredentials, after the same
// amount of hashing. Too many failures for the account or the client
// address are *domain.ThrottledError.
func (a *Auth) Login(ctx context.Context, email, password string, client Client) (TokenPair, error) {
	if email == "" || password == "" {
		return TokenPair{}, requiredCredentials(email, password)
	}
	keys := loginKeys(email, client)
	if err := take(ctx, a.Throttles.Login, keys...); err != nil {
		return TokenPair{}, err
	}
	u, ok, err := a.verifyPassword(ctx, email, password)
	if err != nil {
		return TokenPair{}, err
	}
	if !ok || !u.CanAuthenticate() {
		// The attempts taken stay counted: this was a failure.
		err := a.audit(ctx, "", client.IP, domain.AuditLoginFailure, "user", u.ID, nil)
		if err != nil {
			return TokenPair{}, err
		}
		return TokenPair{}, errBadCredentials
	}
	if err := a.loginSucceeded(ctx, keys); err != nil {
		return TokenPair{}, err
	}
	if a.Hasher.NeedsRehash(u.PasswordHash) {
		// An upgrade that fails is retried at the next login; the login
		// itself must not fail for it.
		if hash, err := a.Hasher.Hash(ctx, password); err == nil &&
			a.Users.UpdatePasswordHash(ctx, u.ID, hash, a.Clock.Now()) == nil {
			u.PasswordHash = hash
		}
	}
	return a.openSession(ctx, u, password, client, nil)
}

// loginKeys are the throttle keys of a login: the account and the client.
func loginKeys(email string, client Client) []string {
	return []string{"login:acct:" + domain.EmailKey(email), "login:ip:" + client.IP}
}

// loginSucceeded clears the failures of the account and gives back the
// client's attempt: only failures count against either.
func (a *Auth) loginSucceeded(ctx context.Context, keys []string) error {
	if err := a.Throttles.Login.Reset(ctx, keys[0]); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	return giveBack(ctx, a.Throttles.Login, keys[1])
}

// openSession starts a session on u, whose password was just checked, and
// records the successful login in the same transaction. It locks the
// account and looks again: a password change, disable or deletion that
// landed since the check refuses the login, as one that comes later ends
// the session (see revokeEverything).
func (a *Auth) openSession(ctx context.Context, u domain.User, password string, client Client,
	details map[string]any) (TokenPair, error) {
	var pair TokenPair
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		cur, err := a.Users.Lock(ctx, u.ID)
		if errors.Is(err, domain.ErrNotFound) {
			return errBadCredentials // purged meanwhile
		}
		if err != nil {
			return err
		}
		if !cur.CanAuthenticate() {
			return errBadCredentials
		}
		if cur.PasswordHash != u.PasswordHash {
			// Changed meanwhile; a rehash by a parallel login keeps the
			// same password valid.
			ok, err := a.Hasher.Verify(ctx, password, cur.PasswordHash)
			if err != nil || !ok {
				return errBadCredentials
			}
		}
		if pair, err = a.startSession(ctx, cur, client); err != nil {
			return err
		}
		return a.audit(ctx, u.ID, client.IP, domain.AuditLoginSuccess, "user", u.ID, details)
	})
	return pair, err
}

func requiredCredentials(email, password string) error {
	v := &domain.ValidationError{}
	if email == "" {
		v.Add("email", "is required")
	}
	if password == "" {
		v.Add("password", "is required")
	}
	return v
}

// verifyPassword finds the account for email and checks password against
// it, spending one hash whatever the outcome. ok is false for an unknown
// email or a wrong password; u is the account whenever it exists.
func (a *Auth) verifyPassword(ctx context.Context, email, password string) (domain.User, bool, error) {
	if utf8.RuneCountInString(password) > domain.MaxPasswordLength {
		a.burnHash(ctx, password[:domain.MaxPasswordLength])
		return domain.User{}, false, nil
	}
	em, err := domain.ParseEmail(email)
	if err != nil {
		a.burnHash(ctx, password) // no account can have this address
		return domain.User{}, false, nil
	}
	u, err := a.Users.ByEmailKey(ctx, em.Key)
	if errors.Is(err, domain.ErrNotFound) {
		a.burnHash(ctx, password)
		return domain.User{}, false, nil
	}
	if err != nil {
		return domain.User{}, false, err
	}
	ok, err := a.Hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return domain.User{}, false, fmt.Errorf("verify password: %w", err)
	}
	return u, ok, nil
}

// burnHash spends the time of one verification, so an unknown account
// takes as long to refuse as a wrong password. Without a dummy hash yet it
// spends one hash instead, so the work is never skipped.
func (a *Auth) burnHash(ctx context.Context, password string) {
	dummy := a.dummy(ctx)
	if dummy == "" {
		_, _ = a.Hasher.Hash(ctx, password)
		return
	}
	_, _ = a.Hasher.Verify(ctx, password, dummy)
}

// dummy returns a hash to verify against for accounts that do not exist,
// making it on first use. A failure (say, the first caller gave up) is
// retried by the next caller rather than remembered.
func (a *Auth) dummy(ctx context.Context) string {
	a.dummyMu.Lock()
	defer a.dummyMu.Unlock()
	if a.dummyHash == "" {
		h, err := a.Hasher.Hash(context.WithoutCancel(ctx), "auth-service timing equaliser")
		if err == nil {
			a.dummyHash = h
		}
	}
	return a.dummyHash
}

func (a *Auth) startSession(ctx context.Context, u domain.User, client Client) (TokenPair, error) {
	token, err := a.Random.Token()
	if err != nil {
		return TokenPair{}, fmt.Errorf("make refresh token: %w", err)
	}
	now := a.Clock.Now()
	s := domain.Session{
		ID:         a.Random.NewID(),
		UserID:     u.ID,
		CreatedAt:  now,
		LastUsedAt: now,
		ExpiresAt:  now.Add(a.cfg.RefreshTTL),
		IP:         client.IP,
		UserAgent:  cleanText(client.UserAgent, 512),
	}
	first := domain.RefreshToken{
		Hash:      domain.HashRefreshToken(token),
		SessionID: s.ID,
		CreatedAt: now,
	}
	if err := a.Sessions.Create(ctx, s, first); err != nil {
		return TokenPair{}, err
	}
	return a.pair(ctx, u, s.ID, token, now)
}

func (a *Auth) pair(ctx context.Context, u domain.User, sessionID, refresh string, now time.Time) (TokenPair, error) {
	access, err := a.Tokens.Issue(ctx, ports.AccessClaims{
		TokenID:   a.Random.NewID(),
		UserID:    u.ID,
		SessionID: sessionID,
		Roles:     u.Roles,
		IssuedAt:  now,
		ExpiresAt: now.Add(a.cfg.AccessTTL),
	})
	if err != nil {
		return TokenPair{}, fmt.Errorf("issue access token: %w", err)
	}
	return TokenPair{AccessToken: access, RefreshToken: refresh, ExpiresIn: a.cfg.AccessTTL}, nil
}

// Refresh exchanges a refresh token for a new pair and rotates it. A token
// already rotated yields the session's current pair inside the grace
// interval; outside it, the whole session is revoked and ErrRefreshReused
// returned. Unknown, expired and revoked tokens give
// domain.ErrUnauthenticated.
func (a *Auth) Refresh(ctx context.Context, token string) (TokenPair, error) {
	if token == "" {
		return TokenPair{}, domain.Invalid("refresh_token", "is required")
	}
	hash := domain.HashRefreshToken(token)
	var (
		pair   TokenPair
		reused bool
	)
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		rt, s, err := a.Sessions.LockToken(ctx, hash)
		if errors.Is(err, domain.ErrNotFound) {
			return errBadRefresh
		}
		if err != nil {
			return err
		}
		now := a.Clock.Now()
		if !s.Active(now) {
			return errBadRefresh
		}
		u, err := a.Users.ByID(ctx, s.UserID)
		if errors.Is(err, domain.ErrNotFound) {
			return errBadRefresh
		}
		if err != nil {
			return err
		}
		if !u.CanAuthenticate() {
			return errBadRefresh
		}

		var current string
		if rt.RotatedAt == nil {
			current, err = a.Random.Token()
			if err != nil {
				return fmt.Errorf("make refresh token: %w", err)
			}
			box, err := domain.SealSuccessor(token, current)
			if err != nil {
				return fmt.Errorf("seal successor: %w", err)
			}
			next := domain.RefreshToken{
				Hash:      domain.HashRefreshToken(current),
				SessionID: s.ID,
				CreatedAt: now,
			}
			err = a.Sessions.Rotate(ctx, hash, box, next, now, now.Add(a.cfg.RefreshTTL))
			if err != nil {
				return err
			}
		} else {
			var ok bool
			current, ok, err = a.currentInGrace(ctx, token, rt, now)
			if err != nil {
				return err
			}
			if !ok {
				if err := a.Sessions.Revoke(ctx, s.UserID, s.ID, now); err != nil {
					return err
				}
				reused = true
				return nil
			}
			if err := a.Sessions.Touch(ctx, s.ID, now, now.Add(a.cfg.RefreshTTL)); err != nil {
				return err
			}
		}
		pair, err = a.pair(ctx, u, s.ID, current, now)
		return err
	})
	if err != nil {
		return TokenPair{}, err
	}
	if reused {
		return TokenPair{}, ErrRefreshReused
	}
	return pair, nil
}

// currentInGrace follows the rotations that started at token while each
// happened no longer than the grace interval ago, and returns the current
// token at the end of that chain. ok is false when token counts as reused.
func (a *Auth) currentInGrace(
	ctx context.Context,
	token string,
	rt domain.RefreshToken,
	now time.Time,
) (string, bool, error) {
	for hop := 0; hop < maxGraceHops; hop++ {
		if rt.RotatedAt == nil {
			return token, true, nil
		}
		if a.cfg.ReuseGrace <= 0 || now.Sub(*rt.RotatedAt) > a.cfg.ReuseGrace {
			return "", false, nil
		}
		next, err := domain.OpenSuccessor(token, rt.SuccessorBox)
		if err != nil {
			return "", false, nil
		}
		rt, err = a.Sessions.Token(ctx, domain.HashRefreshToken(next))
		if errors.Is(err, domain.ErrNotFound) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		token = next
	}
	return "", false, nil
}

// Logout revokes sessions of the caller: this one (ScopeLocal, also for
// ""), every other one (ScopeOthers) or all (ScopeGlobal). Another scope
// is a *domain.ValidationError.
func (a *Auth) Logout(ctx context.Context, p Principal, scope string) error {
	now := a.Clock.Now()
	switch scope {
	case "", ScopeLocal:
		err := a.Sessions.Revoke(ctx, p.UserID, p.SessionID, now)
		if errors.Is(err, domain.ErrNotFound) {
			return nil // revoked meanwhile by another request: the goal is met
		}
		return err
	case ScopeOthers, ScopeGlobal:
		keep := p.SessionID
		if scope == ScopeGlobal {
			keep = ""
		}
		// The account first, then its sessions: the order every change
		// that ends sessions keeps, so two of them cannot deadlock.
		return a.Tx.InTx(ctx, func(ctx context.Context) error {
			if _, err := a.Users.Lock(ctx, p.UserID); err != nil {
				return err
			}
			_, err := a.Sessions.RevokeAll(ctx, p.UserID, keep, now)
			return err
		})
	default:
		return domain.Invalid("scope", "must be local, others or global")
	}
}

// Authenticate verifies an access token and checks, against the stores,
// that its session is still active and its account may still act. Any
// failure is domain.ErrUnauthenticated, except a store failure.
func (a *Auth) Authenticate(ctx context.Context, token string) (Principal, error) {
	c, err := a.Tokens.Verify(ctx, token)
	if err != nil {
		return Principal{}, errBadAccess
	}
	s, err := a.Sessions.ByID(ctx, c.SessionID)
	if errors.Is(err, domain.ErrNotFound) {
		return Principal{}, errBadAccess
	}
	if err != nil {
		return Principal{}, err
	}
	if !s.Active(a.Clock.Now()) || s.UserID != c.UserID {
		return Principal{}, errBadAccess
	}
	u, err := a.Users.ByID(ctx, c.UserID)
	if errors.Is(err, domain.ErrNotFound) {
		return Principal{}, errBadAccess
	}
	if err != nil {
		return Principal{}, err
	}
	if !u.CanAuthenticate() {
		return Principal{}, errBadAccess
	}
	return Principal{
		UserID:      u.ID,
		SessionID:   s.ID,
		Email:       u.Email,
		Roles:       u.Roles,
		Permissions: u.Permissions,
	}, nil
}

// collect adds the field errors of err to v.
func collect(v *domain.ValidationError, err error) {
	var fe *domain.ValidationError
	if errors.As(err, &fe) {
		v.Fields = append(v.Fields, fe.Fields...)
	}
}

// cleanText makes client-supplied text safe to store: valid UTF-8, no
// control characters, at most max code points.
func cleanText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max])
}
