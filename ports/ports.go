package ports

import (
	"context"
	"time"

	"auth-service/domain"
)

// Clock tells the time. Use cases never call time.Now themselves.
type Clock interface {
	Now() time.Time
}

// Random makes the unguessable values the use cases need.
type Random interface {
	// Token returns 32 random bytes, base64url-encoded without padding.
	Token() (string, error)
	// NewID returns a new random UUID in its canonical text form.
	NewID() string
}

// Transactor runs fn so that every store call made with the context it
// receives commits or rolls back together. An error from fn rolls back and
// is returned as it is.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// UserStore keeps accounts and their role assignments.
type UserStore interface {
	// Create inserts u with the given roles. It returns domain.ErrConflict
	// when an account with the same email key exists, deleted or not.
	Create(ctx context.Context, u domain.User, emailKey string, roles []string) error
	// ByID returns the account with its roles and effective permissions,
	// or domain.ErrNotFound.
	ByID(ctx context.Context, id string) (domain.User, error)
	// ByEmailKey returns the account whose email key is key, or
	// domain.ErrNotFound.
	ByEmailKey(ctx context.Context, key string) (domain.User, error)
	// Lock holds the account against concurrent change until the
	// transaction ends and returns it as it stands then, or
	// domain.ErrNotFound. Opening a session and ending them all both lock
	// the account first, so neither can miss the other.
	Lock(ctx context.Context, id string) (domain.User, error)
	// UpdateName sets the display name, or returns domain.ErrNotFound.
	UpdateName(ctx context.Context, id, name string, now time.Time) error
	// UpdatePasswordHash replaces the stored hash, or returns
	// domain.ErrNotFound.
	UpdatePasswordHash(ctx context.Context, id, hash string, now time.Time) error
}

// SessionStore keeps sessions and the hashes of their refresh tokens.
type SessionStore interface {
	// Create inserts a session together with its first refresh token.
	Create(ctx context.Context, s domain.Session, first domain.RefreshToken) error
	// ByID returns a session, or domain.ErrNotFound.
	ByID(ctx context.Context, id string) (domain.Session, error)
	// Lock holds the session against concurrent change (a revocation)
	// until the transaction ends and returns it as it stands then, or
	// domain.ErrNotFound.
	Lock(ctx context.Context, id string) (domain.Session, error)
	// ListByUser returns the user's sessions that are active at now,
	// newest first.
	ListByUser(ctx context.Context, userID string, now time.Time) ([]domain.Session, error)
	// LockToken returns the refresh token with this hash and its session,
	// holding the session against concurrent change until the transaction
	// ends; domain.ErrNotFound when no token has that hash.
	LockToken(ctx context.Context, hash []byte) (domain.RefreshToken, domain.Session, error)
	// Token returns the refresh token with this hash, or domain.ErrNotFound.
	Token(ctx context.Context, hash []byte) (domain.RefreshToken, error)
	// Rotate marks the token with oldHash as replaced at now, stores the
	// sealed successor, inserts next and extends the session to expires.
	Rotate(ctx context.Context, oldHash, box []byte, next domain.RefreshToken, now, expires time.Time) error
	// Touch records a use of the session and extends it to expires.
	Touch(ctx context.Context, sessionID string, now, expires time.Time) error
	// Revoke ends one session of a user; domain.ErrNotFound when the user
	// has no such active session.
	Revoke(ctx context.Context, userID, sessionID string, now time.Time) error
	// RevokeAll ends every active session of the user except keep (which
	// may be empty) and returns how many it ended.
	RevokeAll(ctx context.Context, userID, keep string, now time.Time) (int, error)
}

// PasswordHasher turns passwords into stored hashes and checks them.
type PasswordHasher interface {
	// Hash returns an encoded hash of pw with the current parameters.
	Hash(ctx context.Context, pw string) (string, error)
	// Verify reports whether pw matches encoded. A malformed encoded hash is
	// an error, a mismatch is not.
	Verify(ctx context.Context, pw, encoded string) (bool, error)
	// NeedsRehash reports whether encoded is weaker than, or of another
	// scheme than, what Hash produces now.
	NeedsRehash(encoded string) bool
}

// AccessClaims is what an access token asserts.
type AccessClaims struct {
	TokenID   string
	UserID    string
	SessionID string
	Roles     []string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// AccessTokens signs and verifies access tokens.
type AccessTokens interface {
	// Issue signs claims with the current signing key.
	Issue(ctx context.Context, c AccessClaims) (string, error)
	// Verify checks the signature, algorithm, issuer, audience and times of
	// token and returns its claims, or an error wrapping
	// domain.ErrUnauthenticated.
	Verify(ctx context.Context, token string) (AccessClaims, error)
	// PublicKeys returns the JWK set of every key that can still verify.
	PublicKeys(ctx context.Context) ([]byte, error)
}

// RoleStore keeps roles and permissions.
type RoleStore interface {
	// Seed creates the given permissions and roles when they are missing,
	// marks the roles as system roles and grants each role at least the
	// permissions listed for it. It removes nothing.
	Seed(ctx context.Context, perms []domain.Permission, roles []domain.Role) error
}

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}
