// Package tokens signs and verifies access tokens as JWTs with lestrrat-go/jwx.
package tokens

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"auth-service/domain"
	"auth-service/ports"
)

const (
	// AcceptableSkew is how far the clocks of issuer and verifier may
	// disagree when exp, nbf and iat are checked.
	AcceptableSkew = 30 * time.Second
	// MaxTokenLength is the longest token Verify will look at; anything
	// longer is refused before parsing.
	MaxTokenLength = 8 << 10
	// TokenType is the "typ" header of every issued token. It is the plain
	// "JWT" rather than RFC 9068's "at+jwt", because the tokens carry no
	// client_id and so do not follow that profile. Verify requires it.
	TokenType = "JWT"

	claimSessionID = "sid"
	claimRoles     = "roles"
)

// Config says where the keys are and what the tokens assert.
type Config struct {
	// SigningKeyFile is a PEM file with the private key that signs new
	// tokens: PKCS#8 "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY".
	// Ed25519 signs with EdDSA, ECDSA P-256 with ES256, RSA of at least
	// 2048 bits with RS256.
	SigningKeyFile string
	// VerifyKeyFiles are PEM files of earlier keys, public or private,
	// whose tokens are still accepted and which stay in the JWK set.
	VerifyKeyFiles []string
	// Issuer is the "iss" claim issued and required.
	Issuer string
	// Audience is the "aud" claim issued and required.
	Audience string
	// Algorithm is "", "EdDSA", "ES256" or "RS256". It is used only when a
	// development key is generated; "" means EdDSA.
	Algorithm string
	// GeneratedKeyFile is where a development key is kept when
	// SigningKeyFile is empty and AllowGenerate is true.
	GeneratedKeyFile string
	// AllowGenerate permits generating a development key. Set it only in
	// development.
	AllowGenerate bool
	// MaxLifetime, when set, refuses a token whose exp is further than
	// this (plus AcceptableSkew) from its iat: the service issues none
	// longer, so a longer one was made with a leaked key or by someone else.
	MaxLifetime time.Duration
}

// JWT issues and verifies access tokens. It is safe for concurrent use.
type JWT struct {
	issuer      string
	audience    string
	clock       ports.Clock
	maxLifetime time.Duration

	signKey jwk.Key
	signAlg jwa.SignatureAlgorithm
	// algByKID holds the algorithm of every key that may verify; a token
	// whose header names another algorithm for that kid is refused.
	algByKID  map[string]jwa.SignatureAlgorithm
	verifySet jwk.Set
	jwks      []byte
}

var _ ports.AccessTokens = (*JWT)(nil)

// New loads the signing and verification keys described by cfg. Tokens
// are checked against clock's time. When cfg.SigningKeyFile is empty it
// needs cfg.AllowGenerate, and then loads or creates cfg.GeneratedKeyFile,
// logging a warning on log (which may be nil). It returns an error naming
// the file and the problem for an unreadable, malformed, weak or
// unsupported key, and one naming the field for a missing setting.
func New(cfg Config, clock ports.Clock, log *slog.Logger) (*JWT, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		return nil, errors.New("tokens: a clock is required")
	}
	if cfg.Issuer == "" {
		return nil, errors.New("tokens: Issuer is required")
	}
	if cfg.Audience == "" {
		return nil, errors.New("tokens: Audience is required")
	}
	genAlg, err := generationAlgorithm(cfg.Algorithm)
	if err != nil {
		return nil, err
	}

	sign, err := loadSigningKey(cfg, genAlg, log)
	if err != nil {
		return nil, err
	}
	j := &JWT{
		issuer:      cfg.Issuer,
		audience:    cfg.Audience,
		clock:       clock,
		maxLifetime: cfg.MaxLifetime,
		signAlg:     sign.alg,
		algByKID:    map[string]jwa.SignatureAlgorithm{},
		verifySet:   jwk.NewSet(),
	}

	kid, err := j.addVerifyKey(sign)
	if err != nil {
		return nil, fmt.Errorf("tokens: signing key: %w", err)
	}
	if j.signKey, err = privateJWK(sign, kid); err != nil {
		return nil, fmt.Errorf("tokens: signing key: %w", err)
	}

	for _, path := range cfg.VerifyKeyFiles {
		k, err := readKeyFile(path)
		if err != nil {
			return nil, fmt.Errorf("tokens: verify %w", err)
		}
		if _, err := j.addVerifyKey(k); err != nil {
			return nil, fmt.Errorf("tokens: verify key file %q: %w", path, err)
		}
	}

	if j.jwks, err = json.Marshal(j.verifySet); err != nil {
		return nil, fmt.Errorf("tokens: encode JWK set: %w", err)
	}
	return j, nil
}

func generationAlgorithm(name string) (jwa.SignatureAlgorithm, error) {
	switch name {
	case "", string(jwa.EdDSA):
		return jwa.EdDSA, nil
	case string(jwa.ES256):
		return jwa.ES256, nil
	case string(jwa.RS256):
		return jwa.RS256, nil
	default:
		return "", fmt.Errorf(
			"tokens: Algorithm %q is not one of EdDSA, ES256, RS256", name)
	}
}

// loadSigningKey reads cfg.SigningKeyFile or, in development, the
// generated key, creating it first when it does not exist.
func loadSigningKey(
	cfg Config,
	genAlg jwa.SignatureAlgorithm,
	log *slog.Logger,
) (keyFile, error) {
	if cfg.SigningKeyFile != "" {
		k, err := readKeyFile(cfg.SigningKeyFile)
		if err != nil {
			return keyFile{}, fmt.Errorf("tokens: signing %w", err)
		}
		if k.priv == nil {
			return keyFile{}, fmt.Errorf(
				"tokens: signing key file %q: holds a public key; a private key is needed",
				cfg.SigningKeyFile)
		}
		return k, nil
	}
	if !cfg.AllowGenerate {
		return keyFile{}, errors.New(
			"tokens: a signing key file is required (SigningKeyFile is empty " +
				"and generating a development key is not allowed)")
	}
	path := cfg.GeneratedKeyFile
	if path == "" {
		return keyFile{}, errors.New(
			"tokens: GeneratedKeyFile is required to keep a development key")
	}

	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		priv, err := generateKey(genAlg)
		if err != nil {
			return keyFile{}, fmt.Errorf("tokens: generate development key: %w", err)
		}
		created, err := writeKeyFile(path, priv)
		if err != nil {
			return keyFile{}, fmt.Errorf(
				"tokens: write development key file %q: %w", path, err)
		}
		if created {
			log.Warn("generated a development signing key; do not use it in production",
				slog.String("path", path), slog.String("alg", genAlg.String()))
		}
	} else if err != nil {
		return keyFile{}, fmt.Errorf("tokens: development key file %q: %w", path, err)
	}

	k, err := readKeyFile(path)
	if err != nil {
		return keyFile{}, fmt.Errorf("tokens: development %w", err)
	}
	if k.priv == nil {
		return keyFile{}, fmt.Errorf(
			"tokens: development key file %q: holds a public key; a private key is needed",
			path)
	}
	if k.alg != genAlg && cfg.Algorithm != "" {
		log.Warn("development signing key has another algorithm than configured; "+
			"delete the file to generate a new one",
			slog.String("path", path),
			slog.String("alg", k.alg.String()),
			slog.String("configured", cfg.Algorithm))
	}
	log.Warn("signing access tokens with a development key", slog.String("path", path))
	return k, nil
}

// addVerifyKey puts the public part of k into the verification set with
// its alg, kid and use, unless a key with the same thumbprint is there.
// It returns the kid.
func (j *JWT) addVerifyKey(k keyFile) (string, error) {
	pub, err := jwk.FromRaw(k.pub)
	if err != nil {
		return "", fmt.Errorf("convert public key: %w", err)
	}
	if isPriv, err := jwk.IsPrivateKey(pub); err != nil || isPriv {
		return "", errors.New("expected a public key")
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	if _, dup := j.algByKID[kid]; dup {
		return kid, nil
	}
	if err := setKeyFields(pub, k.alg, kid); err != nil {
		return "", err
	}
	if err := j.verifySet.AddKey(pub); err != nil {
		return "", fmt.Errorf("add key to set: %w", err)
	}
	j.algByKID[kid] = k.alg
	return kid, nil
}

func privateJWK(k keyFile, kid string) (jwk.Key, error) {
	key, err := jwk.FromRaw(k.priv)
	if err != nil {
		return nil, fmt.Errorf("convert private key: %w", err)
	}
	if err := setKeyFields(key, k.alg, kid); err != nil {
		return nil, err
	}
	return key, nil
}

func setKeyFields(key jwk.Key, alg jwa.SignatureAlgorithm, kid string) error {
	for name, v := range map[string]any{
		jwk.AlgorithmKey: alg,
		jwk.KeyIDKey:     kid,
		jwk.KeyUsageKey:  jwk.ForSignature,
	} {
		if err := key.Set(name, v); err != nil {
			return fmt.Errorf("set %q: %w", name, err)
		}
	}
	return nil
}

// Issue signs c with the signing key. The token carries iss, aud (one
// string), sub, jti, iat, nbf (= iat), exp and the private claims sid and
// roles (always an array); times are whole seconds. Its header names kid,
// alg and typ "JWT". It returns an error when c lacks a user, session or
// token ID, or does not expire after it is issued.
func (j *JWT) Issue(_ context.Context, c ports.AccessClaims) (string, error) {
	switch {
	case c.UserID == "":
		return "", errors.New("tokens: issue: UserID is empty")
	case c.SessionID == "":
		return "", errors.New("tokens: issue: SessionID is empty")
	case c.TokenID == "":
		return "", errors.New("tokens: issue: TokenID is empty")
	case !c.ExpiresAt.After(c.IssuedAt):
		return "", errors.New("tokens: issue: ExpiresAt is not after IssuedAt")
	}
	roles := make([]string, len(c.Roles))
	copy(roles, c.Roles)

	t, err := jwt.NewBuilder().
		Issuer(j.issuer).
		Audience([]string{j.audience}).
		Subject(c.UserID).
		JwtID(c.TokenID).
		IssuedAt(c.IssuedAt).
		NotBefore(c.IssuedAt).
		Expiration(c.ExpiresAt).
		Claim(claimSessionID, c.SessionID).
		Claim(claimRoles, roles).
		Build()
	if err != nil {
		return "", fmt.Errorf("tokens: issue: build claims: %w", err)
	}
	t.Options().Enable(jwt.FlattenAudience)

	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.TypeKey, TokenType); err != nil {
		return "", fmt.Errorf("tokens: issue: set typ: %w", err)
	}
	// The kid comes from the jwk.Key itself.
	signed, err := jwt.Sign(t, jwt.WithKey(
		j.signAlg,
		j.signKey,
		jws.WithProtectedHeaders(hdr),
	))
	if err != nil {
		return "", fmt.Errorf("tokens: issue: sign: %w", err)
	}
	return string(signed), nil
}

// Verify checks that token is a compact JWS of at most MaxTokenLength
// bytes, signed by one of the configured keys (chosen by its kid, with
// that key's own algorithm), with typ "JWT", the configured issuer and
// audience, exp, iat and nbf that hold at the injected clock give or take
// AcceptableSkew, and non-empty sub, sid and jti. Any failure is an error
// wrapping domain.ErrUnauthenticated that says which check failed but
// echoes nothing of the token.
func (j *JWT) Verify(ctx context.Context, token string) (ports.AccessClaims, error) {
	if len(token) == 0 || len(token) > MaxTokenLength {
		return ports.AccessClaims{}, unauthenticated("missing or too long")
	}
	if !isCompactJWS(token) {
		return ports.AccessClaims{}, unauthenticated("not a compact JWS")
	}
	parts := strings.Split(token, ".")
	if reason := j.checkHeader(parts[0]); reason != "" {
		return ports.AccessClaims{}, unauthenticated(reason)
	}
	if reason := checkPayload(parts[1]); reason != "" {
		return ports.AccessClaims{}, unauthenticated(reason)
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(parts[2]); err != nil {
		// Strict: a signature written with other unused bits is refused,
		// so one token has one spelling.
		return ports.AccessClaims{}, unauthenticated("signature is not canonical base64url")
	}

	t, err := jwt.ParseString(token,
		jwt.WithKeySet(j.verifySet, jws.WithRequireKid(true)),
		jwt.WithValidate(true),
		jwt.WithContext(ctx),
		jwt.WithClock(jwt.ClockFunc(j.clock.Now)),
		jwt.WithAcceptableSkew(AcceptableSkew),
		jwt.WithIssuer(j.issuer),
		jwt.WithAudience(j.audience),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.IssuedAtKey),
		jwt.WithRequiredClaim(jwt.NotBeforeKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
		jwt.WithRequiredClaim(jwt.JwtIDKey),
		jwt.WithRequiredClaim(claimSessionID),
	)
	if err != nil {
		return ports.AccessClaims{}, unauthenticated(parseFailure(err))
	}
	if j.maxLifetime > 0 && t.Expiration().Sub(t.IssuedAt()) > j.maxLifetime+AcceptableSkew {
		return ports.AccessClaims{}, unauthenticated("lives longer than any token issued here")
	}
	return claimsOf(t)
}

// PublicKeys returns the JWK set, as JSON, of the public keys that verify:
// the signing key's and every verify key's, each with kid, alg and use.
// It never holds private or symmetric key material and never fails.
func (j *JWT) PublicKeys(context.Context) ([]byte, error) {
	return bytes.Clone(j.jwks), nil
}

func unauthenticated(reason string) error {
	return fmt.Errorf("access token %s: %w", reason, domain.ErrUnauthenticated)
}

// isCompactJWS reports whether s is three non-empty base64url segments
// joined by dots. It turns away JWE (five segments), the JSON
// serialisations, unsigned tokens (empty signature) and stray characters
// before any decoding.
func isCompactJWS(s string) bool {
	dots, segLen := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if segLen == 0 {
				return false
			}
			dots++
			segLen = 0
			continue
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '_':
		default:
			return false
		}
		segLen++
	}
	return dots == 2 && segLen > 0
}

// checkHeader looks at the protected header before any signature work:
// it must name a known kid, exactly that key's alg, typ "JWT" and no
// "crit" or "b64". It returns what is wrong, or "".
func (j *JWT) checkHeader(segment string) string {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(segment)
	if err != nil {
		return "header is not base64url"
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil {
		return "header is not a JSON object"
	}
	if _, ok := h["crit"]; ok {
		return "header has crit"
	}
	if _, ok := h["b64"]; ok {
		return "header has b64"
	}

	alg, okAlg := headerString(h, jws.AlgorithmKey)
	kid, okKID := headerString(h, jws.KeyIDKey)
	typ, okTyp := headerString(h, jws.TypeKey)
	switch {
	case !okKID || kid == "":
		return "header has no kid"
	case !okAlg:
		return "header has no alg"
	case !okTyp || !strings.EqualFold(typ, TokenType):
		return "header typ is not " + TokenType
	}
	want, known := j.algByKID[kid]
	if !known {
		return "kid is unknown"
	}
	if alg != want.String() {
		return "alg does not match the key"
	}
	return ""
}

// checkPayload reads the claims as RFC 7519 has them, before jwx does:
// strict base64url, one JSON object and nothing after it, no claim named
// twice, and exp, iat and nbf as JSON numbers (jwx would also take
// strings). It returns what is wrong, or "".
func checkPayload(segment string) string {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(segment)
	if err != nil {
		return "payload is not base64url"
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "payload is not a JSON object"
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "payload is not a JSON object"
		}
		name, _ := tok.(string)
		if seen[name] {
			return "payload names a claim twice"
		}
		seen[name] = true
		var v any
		if err := dec.Decode(&v); err != nil {
			return "payload is not a JSON object"
		}
		switch name {
		case jwt.ExpirationKey, jwt.IssuedAtKey, jwt.NotBeforeKey:
			if _, ok := v.(json.Number); !ok {
				return "payload has a " + name + " that is not a number"
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return "payload is not a JSON object"
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "payload has data after its object"
	}
	return ""
}

func headerString(h map[string]json.RawMessage, name string) (string, bool) {
	v, ok := h[name]
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// parseFailure names the failed check without repeating jwx's message,
// which may quote parts of the token.
func parseFailure(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired()):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotYetValid()):
		return "not yet valid"
	case errors.Is(err, jwt.ErrInvalidIssuedAt()):
		return "issued in the future"
	case errors.Is(err, jwt.ErrInvalidIssuer()):
		return "issuer mismatch"
	case errors.Is(err, jwt.ErrInvalidAudience()):
		return "audience mismatch"
	case errors.Is(err, jwt.ErrRequiredClaim()):
		return "lacks a required claim"
	case jwt.IsValidationError(err):
		return "claims invalid"
	case jws.IsVerificationError(err):
		return "signature invalid"
	default:
		return "rejected"
	}
}

// claimsOf turns a verified token into AccessClaims, checking the types
// and values of the claims jwx does not know.
func claimsOf(t jwt.Token) (ports.AccessClaims, error) {
	sid, _ := claimString(t, claimSessionID)
	c := ports.AccessClaims{
		TokenID:   t.JwtID(),
		UserID:    t.Subject(),
		SessionID: sid,
		IssuedAt:  t.IssuedAt().UTC(),
		ExpiresAt: t.Expiration().UTC(),
	}
	switch {
	case c.UserID == "":
		return ports.AccessClaims{}, unauthenticated("sub is empty")
	case c.SessionID == "":
		return ports.AccessClaims{}, unauthenticated("sid is not a non-empty string")
	case c.TokenID == "":
		return ports.AccessClaims{}, unauthenticated("jti is empty")
	case !c.ExpiresAt.After(c.IssuedAt):
		return ports.AccessClaims{}, unauthenticated("exp is not after iat")
	}

	roles, ok := claimStrings(t, claimRoles)
	if !ok {
		return ports.AccessClaims{}, unauthenticated("roles is not an array of strings")
	}
	c.Roles = roles
	return c, nil
}

func claimString(t jwt.Token, name string) (string, bool) {
	v, ok := t.Get(name)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

// claimStrings reads an array-of-strings claim. A missing claim is an
// empty list; anything but an array of strings is refused.
func claimStrings(t jwt.Token, name string) ([]string, bool) {
	v, ok := t.Get(name)
	if !ok {
		return []string{}, true
	}
	items, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}
