package domain

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"time"
)

// Session is one login: it lives as long as its refresh tokens are used
// within the refresh lifetime and it is not revoked.
type Session struct {
	ID         string
	UserID     string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	IP         string
	UserAgent  string
}

// Active reports whether the session can still be used at now.
func (s Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// RefreshToken is the stored side of one opaque refresh token: only its
// SHA-256 is kept. A rotated token records when it was replaced and a box
// that only the holder of the token itself can open, holding its successor;
// that lets a concurrent refresh inside the grace interval hand out the
// session's current token without the database ever holding it in clear.
type RefreshToken struct {
	Hash         []byte
	SessionID    string
	CreatedAt    time.Time
	RotatedAt    *time.Time
	SuccessorBox []byte
}

// HashRefreshToken returns the SHA-256 of a refresh token, the only form in
// which it is stored.
func HashRefreshToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// boxKey derives a key from the token itself, separated from the stored
// hash, so the hash alone opens nothing.
func boxKey(token string) []byte {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("auth-service refresh successor v1"))
	return mac.Sum(nil)
}

func boxCipher(token string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(boxKey(token))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// SealSuccessor encrypts next under a key derived from prev. Each token is
// rotated at most once, so each key seals exactly one message and a fixed
// nonce is safe.
func SealSuccessor(prev, next string) ([]byte, error) {
	aead, err := boxCipher(prev)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	return aead.Seal(nil, nonce, []byte(next), nil), nil
}

// OpenSuccessor recovers the token that replaced prev from its box.
func OpenSuccessor(prev string, box []byte) (string, error) {
	aead, err := boxCipher(prev)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	plain, err := aead.Open(nil, nonce, box, nil)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}
