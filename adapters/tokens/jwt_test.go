package tokens_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/adapters/tokens"
	"auth-service/domain"
	"auth-service/ports"
)

const (
	testIssuer   = "https://auth.example.test"
	testAudience = "api.example.test"
)

var (
	issuedAt  = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	expiresAt = issuedAt.Add(15 * time.Minute)
)

// fixedClock always tells the same time.
type fixedClock struct{ now time.Time }

func (c fixedClock) Now() time.Time { return c.now }

// clockAt is a minute into the lifetime of the test claims.
var clockAt = fixedClock{now: issuedAt.Add(time.Minute)}

func testClaims() ports.AccessClaims {
	return ports.AccessClaims{
		TokenID:   "0b7c6f1e-4f0a-4c55-9a43-9d2b1c2f7e11",
		UserID:    "user-1",
		SessionID: "session-1",
		Roles:     []string{"admin", "member"},
		IssuedAt:  issuedAt,
		ExpiresAt: expiresAt,
	}
}

// rsaKey is generated once: RSA key generation is slow under -race.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newEd25519(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return k
}

func newECDSA(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	require.NoError(t, err)
	return k
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func writePrivate(t testing.TB, dir, name string, k crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	return writePEM(t, dir, name, "PRIVATE KEY", der)
}

func writePublic(t testing.TB, dir, name string, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return writePEM(t, dir, name, "PUBLIC KEY", der)
}

func baseConfig(signingKeyFile string) tokens.Config {
	return tokens.Config{
		SigningKeyFile: signingKeyFile,
		Issuer:         testIssuer,
		Audience:       testAudience,
	}
}

func newJWT(t testing.TB, cfg tokens.Config, clock ports.Clock) *tokens.JWT {
	t.Helper()
	j, err := tokens.New(cfg, clock, nil)
	require.NoError(t, err)
	return j
}

// kidOf computes the RFC 7638 thumbprint with jwx, for key types whose
// canonical JSON the test does not spell out by hand.
func kidOf(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	k, err := jwk.FromRaw(pub)
	require.NoError(t, err)
	tp, err := k.Thumbprint(crypto.SHA256)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(tp)
}

// ed25519KID spells out RFC 7638 / RFC 8037 for an Ed25519 key.
func ed25519KID(pub ed25519.PublicKey) string {
	canon := `{"crv":"Ed25519","kty":"OKP","x":"` +
		base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// jwks decodes PublicKeys into plain maps.
func jwks(t testing.TB, j *tokens.JWT) []map[string]any {
	t.Helper()
	raw, err := j.PublicKeys(context.Background())
	require.NoError(t, err)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(raw, &set))
	return set.Keys
}

func TestRoundTrip(t *testing.T) {
	ed := newEd25519(t)
	p256 := newECDSA(t, elliptic.P256())
	rk := rsaKey()

	sec1, err := x509.MarshalECPrivateKey(p256)
	require.NoError(t, err)

	tests := []struct {
		name  string
		write func(dir string) string
		pub   crypto.PublicKey
		alg   string
	}{
		{
			name:  "EdDSA PKCS8",
			write: func(dir string) string { return writePrivate(t, dir, "k.pem", ed) },
			pub:   ed.Public(),
			alg:   "EdDSA",
		},
		{
			name:  "ES256 PKCS8",
			write: func(dir string) string { return writePrivate(t, dir, "k.pem", p256) },
			pub:   p256.Public(),
			alg:   "ES256",
		},
		{
			name: "ES256 SEC1",
			write: func(dir string) string {
				return writePEM(t, dir, "k.pem", "EC PRIVATE KEY", sec1)
			},
			pub: p256.Public(),
			alg: "ES256",
		},
		{
			name:  "RS256 PKCS8",
			write: func(dir string) string { return writePrivate(t, dir, "k.pem", rk) },
			pub:   rk.Public(),
			alg:   "RS256",
		},
		{
			name: "RS256 PKCS1",
			write: func(dir string) string {
				der := x509.MarshalPKCS1PrivateKey(rk)
				return writePEM(t, dir, "k.pem", "RSA PRIVATE KEY", der)
			},
			pub: rk.Public(),
			alg: "RS256",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJWT(t, baseConfig(tt.write(t.TempDir())), clockAt)
			ctx := context.Background()

			tok, err := j.Issue(ctx, testClaims())
			require.NoError(t, err)

			hdr, payload := decodeToken(t, tok)
			assert.Equal(t, tt.alg, hdr["alg"])
			assert.Equal(t, "JWT", hdr["typ"])
			assert.Equal(t, kidOf(t, tt.pub), hdr["kid"])
			assert.Equal(t, testIssuer, payload["iss"])
			assert.Equal(t, testAudience, payload["aud"], "aud is one string")
			assert.Equal(t, "session-1", payload["sid"])
			assert.EqualValues(t, issuedAt.Unix(), payload["iat"])
			assert.EqualValues(t, issuedAt.Unix(), payload["nbf"])
			assert.EqualValues(t, expiresAt.Unix(), payload["exp"])

			got, err := j.Verify(ctx, tok)
			require.NoError(t, err)
			assert.Equal(t, testClaims(), got)
		})
	}
}

func TestIssueRolesAlwaysArray(t *testing.T) {
	j := newJWT(t, baseConfig(writePrivate(t, t.TempDir(), "k.pem", newEd25519(t))), clockAt)
	ctx := context.Background()
	c := testClaims()
	c.Roles = nil

	tok, err := j.Issue(ctx, c)
	require.NoError(t, err)
	_, payload := decodeToken(t, tok)
	assert.Equal(t, []any{}, payload["roles"])

	got, err := j.Verify(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, []string{}, got.Roles)
}

func TestIssueRefusesIncompleteClaims(t *testing.T) {
	j := newJWT(t, baseConfig(writePrivate(t, t.TempDir(), "k.pem", newEd25519(t))), clockAt)
	tests := map[string]func(*ports.AccessClaims){
		"no user":        func(c *ports.AccessClaims) { c.UserID = "" },
		"no session":     func(c *ports.AccessClaims) { c.SessionID = "" },
		"no token id":    func(c *ports.AccessClaims) { c.TokenID = "" },
		"exp before iat": func(c *ports.AccessClaims) { c.ExpiresAt = c.IssuedAt },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			c := testClaims()
			mutate(&c)
			_, err := j.Issue(context.Background(), c)
			assert.Error(t, err)
		})
	}
}

func TestPublicKeys(t *testing.T) {
	dir := t.TempDir()
	sign := newEd25519(t)
	oldEC := newECDSA(t, elliptic.P256())
	oldRSA := rsaKey()

	cfg := baseConfig(writePrivate(t, dir, "sign.pem", sign))
	cfg.VerifyKeyFiles = []string{
		writePublic(t, dir, "old-ec.pub.pem", oldEC.Public()),
		writePEM(t, dir, "old-rsa.pem", "RSA PRIVATE KEY",
			x509.MarshalPKCS1PrivateKey(oldRSA)),
		// The signing key listed again must not appear twice.
		writePublic(t, dir, "sign.pub.pem", sign.Public()),
	}
	j := newJWT(t, cfg, clockAt)

	want := map[string]string{
		ed25519KID(sign.Public().(ed25519.PublicKey)): "EdDSA",
		kidOf(t, oldEC.Public()):                      "ES256",
		kidOf(t, oldRSA.Public()):                     "RS256",
	}
	keys := jwks(t, j)
	require.Len(t, keys, len(want))
	got := map[string]string{}
	for _, k := range keys {
		kid, _ := k["kid"].(string)
		alg, _ := k["alg"].(string)
		got[kid] = alg
		assert.Equal(t, "sig", k["use"], "kid %s", kid)
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			assert.NotContains(t, k, private, "kid %s", kid)
		}
	}
	assert.Equal(t, want, got)

	// Callers may not change what later calls return.
	raw, err := j.PublicKeys(context.Background())
	require.NoError(t, err)
	clear(raw)
	assert.Len(t, jwks(t, j), len(want))
}

func TestVerifyKeyRotation(t *testing.T) {
	dir := t.TempDir()
	oldPath := writePrivate(t, dir, "old.pem", newEd25519(t))
	newPath := writePrivate(t, dir, "new.pem", newECDSA(t, elliptic.P256()))
	ctx := context.Background()

	old := newJWT(t, baseConfig(oldPath), clockAt)
	tok, err := old.Issue(ctx, testClaims())
	require.NoError(t, err)

	rotated := baseConfig(newPath)
	rotated.VerifyKeyFiles = []string{oldPath}
	got, err := newJWT(t, rotated, clockAt).Verify(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, "user-1", got.UserID)

	retired := baseConfig(newPath)
	_, err = newJWT(t, retired, clockAt).Verify(ctx, tok)
	assert.ErrorIs(t, err, domain.ErrUnauthenticated)
}

// b64 encodes one compact-serialisation segment.
func b64(v []byte) string { return base64.RawURLEncoding.EncodeToString(v) }

func b64JSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return b64(raw)
}

func decodeToken(t testing.TB, tok string) (hdr, payload map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	for i, dst := range []*map[string]any{&hdr, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, dst))
	}
	return hdr, payload
}

// validPayload is what Issue would put in a token for testClaims.
func validPayload() map[string]any {
	return map[string]any{
		"iss":   testIssuer,
		"aud":   testAudience,
		"sub":   "user-1",
		"jti":   "token-1",
		"sid":   "session-1",
		"roles": []string{"member"},
		"iat":   issuedAt.Unix(),
		"nbf":   issuedAt.Unix(),
		"exp":   expiresAt.Unix(),
	}
}

// sign makes a compact JWS of payload with key and exactly the given
// header fields besides alg.
func sign(
	t testing.TB,
	alg jwa.SignatureAlgorithm,
	key any,
	hdr map[string]any,
	payload map[string]any,
	opts ...jws.SignOption,
) string {
	t.Helper()
	h := jws.NewHeaders()
	for k, v := range hdr {
		require.NoError(t, h.Set(k, v))
	}
	raw, err := json.Marshal(payload)
	require.NoError(t, err)
	opts = append(opts, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	out, err := jws.Sign(raw, opts...)
	require.NoError(t, err)
	return string(out)
}

func TestVerifyRefuses(t *testing.T) {
	dir := t.TempDir()
	key := newEd25519(t)
	pub := key.Public().(ed25519.PublicKey)
	kid := ed25519KID(pub)
	keyPath := writePrivate(t, dir, "k.pem", key)
	pubPEM, err := os.ReadFile(writePublic(t, dir, "k.pub.pem", pub))
	require.NoError(t, err)

	j := newJWT(t, baseConfig(keyPath), clockAt)
	ctx := context.Background()
	good, err := j.Issue(ctx, testClaims())
	require.NoError(t, err)

	realHdr := map[string]any{"kid": kid, "typ": "JWT"}
	withRealKey := func(p map[string]any) string {
		return sign(t, jwa.EdDSA, key, realHdr, p)
	}
	payloadWith := func(name string, v any) map[string]any {
		p := validPayload()
		if v == nil {
			delete(p, name)
		} else {
			p[name] = v
		}
		return p
	}
	otherIssuer := baseConfig(keyPath)
	otherIssuer.Issuer = "https://evil.example.test"
	otherAudience := baseConfig(keyPath)
	otherAudience.Audience = "other-api"
	issueWith := func(cfg tokens.Config) string {
		tok, err := newJWT(t, cfg, clockAt).Issue(ctx, testClaims())
		require.NoError(t, err)
		return tok
	}
	parts := strings.Split(good, ".")

	// The control: a hand-signed token the negative cases differ from in
	// one respect verifies.
	_, err = j.Verify(ctx, withRealKey(validPayload()))
	require.NoError(t, err)

	tests := []struct {
		name  string
		token string
		clock ports.Clock // clockAt when nil
	}{
		{
			name: "alg none",
			token: b64JSON(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) +
				"." + b64JSON(t, validPayload()) + ".",
		},
		{
			name:  "HS256 with the PEM public key as secret",
			token: sign(t, jwa.HS256, pubPEM, realHdr, validPayload()),
		},
		{
			name:  "HS256 with the raw public key as secret",
			token: sign(t, jwa.HS256, []byte(pub), realHdr, validPayload()),
		},
		{
			name:  "another Ed25519 key under the real kid",
			token: sign(t, jwa.EdDSA, newEd25519(t), realHdr, validPayload()),
		},
		{
			name: "ES256 key under the kid of the EdDSA key",
			token: sign(t, jwa.ES256, newECDSA(t, elliptic.P256()),
				realHdr, validPayload()),
		},
		{
			name: "unknown kid",
			token: sign(t, jwa.EdDSA, key,
				map[string]any{"kid": "not-a-known-kid", "typ": "JWT"}, validPayload()),
		},
		{
			name:  "no kid",
			token: sign(t, jwa.EdDSA, key, map[string]any{"typ": "JWT"}, validPayload()),
		},
		{
			name: "another typ",
			token: sign(t, jwa.EdDSA, key,
				map[string]any{"kid": kid, "typ": "id+jwt"}, validPayload()),
		},
		{
			name: "crit header",
			token: sign(t, jwa.EdDSA, key,
				map[string]any{"kid": kid, "typ": "JWT", "crit": []string{"exp"}},
				validPayload()),
		},
		{name: "wrong issuer", token: issueWith(otherIssuer)},
		{name: "wrong audience", token: issueWith(otherAudience)},
		{
			name:  "expired",
			token: good,
			clock: fixedClock{now: expiresAt.Add(tokens.AcceptableSkew + time.Second)},
		},
		{
			name:  "issued in the future",
			token: good,
			clock: fixedClock{now: issuedAt.Add(-tokens.AcceptableSkew - 2*time.Second)},
		},
		{
			name: "nbf in the future",
			token: withRealKey(payloadWith("nbf",
				clockAt.now.Add(tokens.AcceptableSkew+time.Minute).Unix())),
		},
		{name: "missing sid", token: withRealKey(payloadWith("sid", nil))},
		{name: "empty sid", token: withRealKey(payloadWith("sid", ""))},
		{name: "sid not a string", token: withRealKey(payloadWith("sid", 42))},
		{name: "missing sub", token: withRealKey(payloadWith("sub", nil))},
		{name: "empty sub", token: withRealKey(payloadWith("sub", ""))},
		{name: "missing exp", token: withRealKey(payloadWith("exp", nil))},
		{name: "missing iat", token: withRealKey(payloadWith("iat", nil))},
		{name: "roles not strings", token: withRealKey(payloadWith("roles", []int{1}))},
		{
			name:  "aud list without ours",
			token: withRealKey(payloadWith("aud", []string{"a", "b"})),
		},
		{
			name: "tampered payload",
			token: parts[0] + "." +
				b64JSON(t, payloadWith("sub", "someone-else")) + "." + parts[2],
		},
		{name: "tampered signature", token: parts[0] + "." + parts[1] + "." + parts[0]},
		{
			name: "JSON serialisation",
			token: sign(t, jwa.EdDSA, key, realHdr, validPayload(),
				jws.WithJSON()),
		},
		{name: "JWE shape", token: parts[0] + ".." + parts[1] + "." + parts[2] + "."},
		{name: "empty", token: ""},
		{name: "100 KiB", token: strings.Repeat("a", 100<<10)},
		{name: "garbage", token: "\x00\xff not a token at all"},
		{name: "random base64 segments", token: b64(randomBytes(t, 30)) + "." +
			b64(randomBytes(t, 60)) + "." + b64(randomBytes(t, 64))},
		{name: "bearer prefix", token: "Bearer " + good},
		{name: "trailing space", token: good + " "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := j
			if tt.clock != nil {
				v = newJWT(t, baseConfig(keyPath), tt.clock)
			}
			got, err := v.Verify(ctx, tt.token)
			require.ErrorIs(t, err, domain.ErrUnauthenticated)
			assert.Equal(t, ports.AccessClaims{}, got)
			assert.NotContains(t, err.Error(), string(pubPEM))
		})
	}
}

// signRaw makes a compact JWS of exactly payload (not re-encoded).
func signRaw(t testing.TB, key ed25519.PrivateKey, hdr map[string]any, payload string) string {
	t.Helper()
	h := jws.NewHeaders()
	for k, v := range hdr {
		require.NoError(t, h.Set(k, v))
	}
	out, err := jws.Sign([]byte(payload), jws.WithKey(jwa.EdDSA, key, jws.WithProtectedHeaders(h)))
	require.NoError(t, err)
	return string(out)
}

// Claims are read as RFC 7519 has them, a signature has one spelling, and
// no token lives longer than the service would issue.
func TestVerifyIsStrictAboutShape(t *testing.T) {
	dir := t.TempDir()
	key := newEd25519(t)
	kid := ed25519KID(key.Public().(ed25519.PublicKey))
	cfg := baseConfig(writePrivate(t, dir, "k.pem", key))
	cfg.MaxLifetime = expiresAt.Sub(issuedAt)
	j := newJWT(t, cfg, clockAt)
	ctx := context.Background()
	hdr := map[string]any{"kid": kid, "typ": "JWT"}
	good, err := json.Marshal(validPayload())
	require.NoError(t, err)
	body := strings.TrimSuffix(string(good), "}")

	_, err = j.Verify(ctx, signRaw(t, key, hdr, string(good)))
	require.NoError(t, err, "the control verifies")
	issued, err := j.Issue(ctx, testClaims())
	require.NoError(t, err)
	_, err = j.Verify(ctx, issued)
	require.NoError(t, err, "what the service issues is within its own lifetime")

	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := issued[len(issued)-1]
	respelled := issued[:len(issued)-1] + string(alphabet[strings.IndexByte(alphabet, last)^1])

	long := validPayload()
	long["exp"] = issuedAt.Add(100 * 365 * 24 * time.Hour).Unix()

	cases := map[string]string{
		"exp as a string":       signRaw(t, key, hdr, body+`,"exp":"`+strconv.FormatInt(expiresAt.Unix(), 10)+`"}`),
		"nbf as a date string":  signRaw(t, key, hdr, body+`,"nbf":"2026-01-01T00:00:00Z"}`),
		"data after the object": signRaw(t, key, hdr, string(good)+"xyz"),
		"a second object after": signRaw(t, key, hdr, string(good)+` {"sub":"x"}`),
		"a claim named twice":   signRaw(t, key, hdr, body+`,"sub":"user-2"}`),
		"not an object":         signRaw(t, key, hdr, `["sub"]`),
		"signature respelled":   respelled,
		"lives a hundred years": sign(t, jwa.EdDSA, key, hdr, long),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := j.Verify(ctx, tok)
			require.ErrorIs(t, err, domain.ErrUnauthenticated)
		})
	}
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func TestVerifyWithinSkew(t *testing.T) {
	path := writePrivate(t, t.TempDir(), "k.pem", newEd25519(t))
	tok, err := newJWT(t, baseConfig(path), clockAt).Issue(context.Background(), testClaims())
	require.NoError(t, err)

	for name, at := range map[string]time.Time{
		"just before iat": issuedAt.Add(-tokens.AcceptableSkew + time.Second),
		"just after exp":  expiresAt.Add(tokens.AcceptableSkew - time.Second),
	} {
		t.Run(name, func(t *testing.T) {
			j := newJWT(t, baseConfig(path), fixedClock{now: at})
			_, err := j.Verify(context.Background(), tok)
			assert.NoError(t, err)
		})
	}
}

func TestGeneratedDevelopmentKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	path := filepath.Join(dir, "dev-signing.pem")
	cfg := tokens.Config{
		Issuer:           testIssuer,
		Audience:         testAudience,
		GeneratedKeyFile: path,
		AllowGenerate:    true,
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

	first, err := tokens.New(cfg, clockAt, log)
	require.NoError(t, err)

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	dirInfo, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dirInfo.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")

	assert.Contains(t, logs.String(), `"level":"WARN"`)
	assert.Contains(t, logs.String(), "generated a development signing key")
	assert.Contains(t, logs.String(), path)
	pemData, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(pemData), "-----BEGIN PRIVATE KEY-----")
	block, _ := pem.Decode(pemData)
	require.NotNil(t, block)
	assert.NotContains(t, logs.String(), b64(block.Bytes)[:16])
	assert.NotContains(t, logs.String(), "PRIVATE KEY")

	keys := jwks(t, first)
	require.Len(t, keys, 1)
	assert.Equal(t, "EdDSA", keys[0]["alg"])

	logs.Reset()
	second, err := tokens.New(cfg, clockAt, log)
	require.NoError(t, err)
	assert.Equal(t, keys, jwks(t, second), "the kept key is reused")
	assert.NotContains(t, logs.String(), "generated a development signing key")

	tok, err := first.Issue(context.Background(), testClaims())
	require.NoError(t, err)
	_, err = second.Verify(context.Background(), tok)
	assert.NoError(t, err)
}

func TestGeneratedKeyAlgorithms(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			cfg := tokens.Config{
				Issuer:           testIssuer,
				Audience:         testAudience,
				Algorithm:        alg,
				GeneratedKeyFile: filepath.Join(t.TempDir(), "dev.pem"),
				AllowGenerate:    true,
			}
			j := newJWT(t, cfg, clockAt)
			keys := jwks(t, j)
			require.Len(t, keys, 1)
			assert.Equal(t, alg, keys[0]["alg"])

			tok, err := j.Issue(context.Background(), testClaims())
			require.NoError(t, err)
			_, err = j.Verify(context.Background(), tok)
			assert.NoError(t, err)
		})
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	keyPath := writePrivate(t, dir, "k.pem", newEd25519(t))
	tests := []struct {
		name string
		cfg  tokens.Config
		want string
	}{
		{
			name: "no key and no generation",
			cfg: tokens.Config{
				Issuer:           testIssuer,
				Audience:         testAudience,
				GeneratedKeyFile: filepath.Join(dir, "dev.pem"),
			},
			want: "signing key file is required",
		},
		{
			name: "generation without a place to keep the key",
			cfg: tokens.Config{
				Issuer:        testIssuer,
				Audience:      testAudience,
				AllowGenerate: true,
			},
			want: "GeneratedKeyFile",
		},
		{
			name: "unknown algorithm",
			cfg: tokens.Config{
				SigningKeyFile: keyPath, Issuer: testIssuer, Audience: testAudience,
				Algorithm: "HS256",
			},
			want: "Algorithm",
		},
		{
			name: "no issuer",
			cfg:  tokens.Config{SigningKeyFile: keyPath, Audience: testAudience},
			want: "Issuer",
		},
		{
			name: "no audience",
			cfg:  tokens.Config{SigningKeyFile: keyPath, Issuer: testIssuer},
			want: "Audience",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tokens.New(tt.cfg, clockAt, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := os.Stat(filepath.Join(dir, "dev.pem"))
	assert.True(t, os.IsNotExist(err), "no key generated without AllowGenerate")
}

func TestBadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	require.NoError(t, err)
	xDER, err := x509.MarshalPKCS8PrivateKey(x)
	require.NoError(t, err)
	notPEM := filepath.Join(dir, "not-pem.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("just some text\n"), 0o600))
	good := writePrivate(t, dir, "good.pem", newEd25519(t))
	twoKeys := filepath.Join(dir, "two.pem")
	require.NoError(t, os.WriteFile(twoKeys,
		append(mustRead(t, good), mustRead(t, good)...), 0o600))

	tests := []struct {
		name string
		path string
		want string
	}{
		{"missing file", filepath.Join(dir, "absent.pem"), "no such file"},
		{"not PEM", notPEM, "no PEM block"},
		{"RSA 1024", writePrivate(t, dir, "rsa1024.pem", small), "1024 bits"},
		{"P-384", writePrivate(t, dir, "p384.pem", newECDSA(t, elliptic.P384())), "P-384"},
		{"X25519", writePEM(t, dir, "x25519.pem", "PRIVATE KEY", xDER), "unsupported key"},
		{
			"certificate block",
			writePEM(t, dir, "cert.pem", "CERTIFICATE", []byte{1}),
			"CERTIFICATE",
		},
		{"corrupt DER", writePEM(t, dir, "bad.pem", "PRIVATE KEY", []byte{1, 2, 3}), "parse"},
		{"two keys", twoKeys, "more than one"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" as signing key", func(t *testing.T) {
			_, err := tokens.New(baseConfig(tt.path), clockAt, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.path)
			assert.Contains(t, err.Error(), tt.want)
		})
		t.Run(tt.name+" as verify key", func(t *testing.T) {
			cfg := baseConfig(good)
			cfg.VerifyKeyFiles = []string{tt.path}
			_, err := tokens.New(cfg, clockAt, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.path)
			assert.Contains(t, err.Error(), tt.want)
		})
	}

	t.Run("public key as signing key", func(t *testing.T) {
		path := writePublic(t, dir, "pub.pem", newEd25519(t).Public())
		_, err := tokens.New(baseConfig(path), clockAt, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
		assert.Contains(t, err.Error(), "private key is needed")
	})
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestConcurrentUse(t *testing.T) {
	j := newJWT(t, baseConfig(writePrivate(t, t.TempDir(), "k.pem", newEd25519(t))), clockAt)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				tok, err := j.Issue(ctx, testClaims())
				if !assert.NoError(t, err) {
					return
				}
				_, err = j.Verify(ctx, tok)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkIssue(b *testing.B) {
	j := newJWT(b, baseConfig(writePrivate(b, b.TempDir(), "k.pem", newEd25519(b))), clockAt)
	ctx := context.Background()
	c := testClaims()
	for b.Loop() {
		if _, err := j.Issue(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	j := newJWT(b, baseConfig(writePrivate(b, b.TempDir(), "k.pem", newEd25519(b))), clockAt)
	ctx := context.Background()
	tok, err := j.Issue(ctx, testClaims())
	require.NoError(b, err)
	for b.Loop() {
		if _, err := j.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
