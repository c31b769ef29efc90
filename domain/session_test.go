package domain_test

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/domain"
)

func TestSessionActive(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	expires := now.Add(time.Hour)
	revoked := now.Add(-time.Minute)
	tests := []struct {
		name    string
		session domain.Session
		at      time.Time
		want    bool
	}{
		{name: "fresh", session: domain.Session{ExpiresAt: expires}, at: now, want: true},
		{name: "one nanosecond before expiry", session: domain.Session{ExpiresAt: expires}, at: expires.Add(-time.Nanosecond), want: true},
		{name: "at expiry", session: domain.Session{ExpiresAt: expires}, at: expires},
		{name: "after expiry", session: domain.Session{ExpiresAt: expires}, at: expires.Add(time.Second)},
		{name: "revoked", session: domain.Session{ExpiresAt: expires, RevokedAt: &revoked}, at: now},
		{name: "revoked and expired", session: domain.Session{ExpiresAt: expires, RevokedAt: &revoked}, at: expires.Add(time.Hour)},
		{name: "zero expiry", session: domain.Session{}, at: now},
		{
			name:    "same instant in another zone",
			session: domain.Session{ExpiresAt: expires},
			at:      expires.In(time.FixedZone("UTC+5", 5*3600)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.session.Active(tt.at))
		})
	}
}

func TestHashRefreshToken(t *testing.T) {
	tests := []struct {
		name  string
		token string
	}{
		{name: "empty", token: ""},
		{name: "opaque", token: "rt_3q2-7ZqkY0d9cV1mW4x8nB"},
		{name: "long", token: string(bytes.Repeat([]byte("a"), 4096))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := domain.HashRefreshToken(tt.token)

			require.Len(t, h, 32)
			assert.Equal(t, h, domain.HashRefreshToken(tt.token))
			want := sha256.Sum256([]byte(tt.token))
			assert.Equal(t, want[:], h)
			assert.NotEqual(t, h, domain.HashRefreshToken(tt.token+"x"))
		})
	}
}

func TestSealOpenSuccessorRoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		prev, next string
	}{
		{name: "typical", prev: "rt_previous_token_value", next: "rt_successor_token_value"},
		{name: "empty successor", prev: "rt_previous", next: ""},
		{name: "empty previous", prev: "", next: "rt_successor"},
		{name: "binary-ish", prev: "\x00\x01\x02", next: "\xff\xfe\xfd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			box, err := domain.SealSuccessor(tt.prev, tt.next)
			require.NoError(t, err)

			got, err := domain.OpenSuccessor(tt.prev, box)

			require.NoError(t, err)
			assert.Equal(t, tt.next, got)
		})
	}
}

func TestOpenSuccessorWrongToken(t *testing.T) {
	const prev, next = "rt_previous_token_value", "rt_successor_token_value"
	box, err := domain.SealSuccessor(prev, next)
	require.NoError(t, err)

	for _, wrong := range []string{"", "rt_previous_token_valuE", next, prev + " "} {
		t.Run(wrong, func(t *testing.T) {
			got, err := domain.OpenSuccessor(wrong, box)

			assert.Error(t, err)
			assert.Empty(t, got)
		})
	}
}

func TestOpenSuccessorStoredHashOpensNothing(t *testing.T) {
	const prev, next = "rt_previous_token_value", "rt_successor_token_value"
	box, err := domain.SealSuccessor(prev, next)
	require.NoError(t, err)

	_, err = domain.OpenSuccessor(string(domain.HashRefreshToken(prev)), box)

	assert.Error(t, err)
}

func TestOpenSuccessorTamperedBox(t *testing.T) {
	const prev, next = "rt_previous_token_value", "rt_successor_token_value"
	box, err := domain.SealSuccessor(prev, next)
	require.NoError(t, err)
	require.NotEmpty(t, box)

	tests := []struct {
		name   string
		tamper func([]byte) []byte
	}{
		{name: "first byte flipped", tamper: func(b []byte) []byte { b[0] ^= 1; return b }},
		{name: "last byte flipped", tamper: func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }},
		{name: "truncated", tamper: func(b []byte) []byte { return b[:len(b)-1] }},
		{name: "extended", tamper: func(b []byte) []byte { return append(b, 0) }},
		{name: "empty", tamper: func([]byte) []byte { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.tamper(bytes.Clone(box))

			got, err := domain.OpenSuccessor(prev, bad)

			assert.Error(t, err)
			assert.Empty(t, got)
		})
	}
}

func TestSealSuccessorHidesPlaintext(t *testing.T) {
	const prev, next = "rt_previous_token_value", "rt_successor_token_value"

	box, err := domain.SealSuccessor(prev, next)

	require.NoError(t, err)
	assert.NotContains(t, string(box), next)
	assert.NotContains(t, string(box), prev)
	assert.False(t, bytes.Contains(box, []byte("successor")))
	assert.Greater(t, len(box), len(next), "the box carries an authentication tag")
}
