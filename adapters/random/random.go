// Package random draws tokens and ids from crypto/rand behind ports.Random.
package random

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/google/uuid"

	"auth-service/ports"
)

// Crypto reads the operating system's secure random source.
type Crypto struct{}

var _ ports.Random = Crypto{}

// New returns the secure random source.
func New() Crypto { return Crypto{} }

// Token returns 32 random bytes, base64url-encoded without padding. It
// fails only when the system source does.
func (Crypto) Token() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// NewID returns a random (version 4) UUID.
func (Crypto) NewID() string { return uuid.NewString() }
