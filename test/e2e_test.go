//go:build integration

package test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
)

func TestRegisterLoginMeRefreshLogout(t *testing.T) {
	s := startServer(t, "REFRESH_REUSE_GRACE=1s")

	r := s.call("POST", "/v1/auth/register", "", map[string]string{
		"email": "  Ana@Example.com ", "password": goodPassword, "name": "Ana",
	})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	assert.Equal(t, "Ana@Example.com", r.str("email"))
	assert.Equal(t, "active", r.str("status"))
	assert.Equal(t, []any{"user"}, r.JSON["roles"])
	assert.Equal(t, []any{}, r.JSON["permissions"])
	assert.NotContains(t, string(r.Raw), "password")

	access, refresh := s.login("ana@example.com")
	me := s.call("GET", "/v1/users/me", access, nil)
	require.Equal(t, http.StatusOK, me.Status)
	assert.Equal(t, "Ana", me.str("name"))

	// Rotation: a new pair, and the old refresh token is spent.
	r1 := s.call("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
	require.Equal(t, http.StatusOK, r1.Status, string(r1.Raw))
	assert.Equal(t, "Bearer", r1.str("token_type"))
	assert.EqualValues(t, 900, r1.JSON["expires_in"])
	newest := r1.str("refresh_token")
	assert.NotEqual(t, refresh, newest)
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/users/me", r1.str("access_token"), nil).Status)

	// After the grace interval the old token is reuse: the whole session dies.
	time.Sleep(1500 * time.Millisecond)
	reused := s.call("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
	assert.Equal(t, http.StatusUnauthorized, reused.Status)
	assert.Equal(t, "refresh_token_reused", reused.str("code"))
	after := s.call("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": newest})
	assert.Equal(t, http.StatusUnauthorized, after.Status, "the newest token died with the session")
	assert.Equal(t, http.StatusUnauthorized,
		s.call("GET", "/v1/users/me", r1.str("access_token"), nil).Status)

	// PATCH /v1/users/me takes the name and nothing else.
	access, _ = s.login("ana@example.com")
	p := s.call("PATCH", "/v1/users/me", access, map[string]string{"name": "Ana Lima"})
	require.Equal(t, http.StatusOK, p.Status, string(p.Raw))
	assert.Equal(t, "Ana Lima", p.str("name"))
	for _, body := range []string{`{"email":"x@example.com"}`, `{"name":"a","roles":["admin"]}`,
		`{"status":"disabled"}`} {
		bad := s.call("PATCH", "/v1/users/me", access, body)
		assert.Equal(t, http.StatusBadRequest, bad.Status, body)
	}

	out := s.call("POST", "/v1/auth/logout", access, nil)
	assert.Equal(t, http.StatusNoContent, out.Status)
	assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", access, nil).Status)
}

func TestConcurrentRefreshWithOneToken(t *testing.T) {
	s := startServer(t)
	s.register("tabs@example.com")
	_, refresh := s.login("tabs@example.com")

	const n = 2
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = s.call("POST", "/v1/auth/refresh", "",
				map[string]string{"refresh_token": refresh})
		}(i)
	}
	wg.Wait()
	for _, r := range results {
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	}
	assert.Equal(t, results[0].str("refresh_token"), results[1].str("refresh_token"),
		"both tabs hold the session's current refresh token")
	list := s.call("GET", "/v1/users/me/sessions", results[1].str("access_token"), nil)
	require.Equal(t, http.StatusOK, list.Status)
	assert.Len(t, list.JSON["items"], 1, "one session remains")
	next := s.call("POST", "/v1/auth/refresh", "",
		map[string]string{"refresh_token": results[0].str("refresh_token")})
	assert.Equal(t, http.StatusOK, next.Status, "the shared current token still works")
}

func TestLogoutScopes(t *testing.T) {
	s := startServer(t)
	s.register("scopes@example.com")
	login3 := func() [3]string {
		var a [3]string
		for i := range a {
			a[i], _ = s.login("scopes@example.com")
		}
		return a
	}
	status := func(tok string) int { return s.call("GET", "/v1/users/me", tok, nil).Status }

	a := login3()
	require.Equal(t, http.StatusNoContent,
		s.call("POST", "/v1/auth/logout", a[0], map[string]string{"scope": "local"}).Status)
	assert.Equal(t, http.StatusUnauthorized, status(a[0]))
	assert.Equal(t, http.StatusOK, status(a[1]))

	require.Equal(t, http.StatusNoContent,
		s.call("POST", "/v1/auth/logout", a[1], map[string]string{"scope": "others"}).Status)
	assert.Equal(t, http.StatusOK, status(a[1]))
	assert.Equal(t, http.StatusUnauthorized, status(a[2]))

	b := login3()
	require.Equal(t, http.StatusNoContent,
		s.call("POST", "/v1/auth/logout", b[0], map[string]string{"scope": "global"}).Status)
	for _, tok := range append(b[:], a[1]) {
		assert.Equal(t, http.StatusUnauthorized, status(tok))
	}

	c, _ := s.login("scopes@example.com")
	bad := s.call("POST", "/v1/auth/logout", c, map[string]string{"scope": "everywhere"})
	assert.Equal(t, http.StatusBadRequest, bad.Status)
	assert.Equal(t, http.StatusOK, status(c), "a refused logout revokes nothing")
	assert.Equal(t, http.StatusUnauthorized, s.call("POST", "/v1/auth/logout", "", nil).Status)
}

func TestSessionsListAndRevoke(t *testing.T) {
	s := startServer(t)
	s.register("one@example.com")
	s.register("two@example.com")
	a1, _ := s.login("one@example.com")
	a2, _ := s.login("one@example.com")
	other, _ := s.login("two@example.com")

	list := s.call("GET", "/v1/users/me/sessions", a1, nil, "User-Agent", "e2e-agent/1")
	require.Equal(t, http.StatusOK, list.Status)
	items := list.JSON["items"].([]any)
	require.Len(t, items, 2)
	var mine, second string
	for _, it := range items {
		m := it.(map[string]any)
		assert.Equal(t, "127.0.0.1", m["ip"])
		if m["current"] == true {
			mine = m["id"].(string)
		} else {
			second = m["id"].(string)
		}
	}
	require.NotEmpty(t, mine)
	require.NotEmpty(t, second)

	theirs := s.call("GET", "/v1/users/me/sessions", other, nil).JSON["items"].([]any)
	theirID := theirs[0].(map[string]any)["id"].(string)
	assert.Equal(t, http.StatusNotFound,
		s.call("DELETE", "/v1/users/me/sessions/"+theirID, a1, nil).Status)
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/users/me", other, nil).Status)
	assert.Equal(t, http.StatusNotFound,
		s.call("DELETE", "/v1/users/me/sessions/not-a-uuid", a1, nil).Status)

	assert.Equal(t, http.StatusNoContent,
		s.call("DELETE", "/v1/users/me/sessions/"+second, a1, nil).Status)
	assert.Equal(t, http.StatusUnauthorized, s.call("GET", "/v1/users/me", a2, nil).Status)
	assert.Equal(t, http.StatusOK, s.call("GET", "/v1/users/me", a1, nil).Status)
}

func TestEmailUniqueAcrossCaseAndNormalisation(t *testing.T) {
	s := startServer(t)
	s.register("ana@example.com")
	r := s.call("POST", "/v1/auth/register", "", creds{"Ana@Example.COM", goodPassword})
	assert.Equal(t, http.StatusConflict, r.Status)
	assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))

	nfc := norm.NFC.String("josé@example.com")
	nfd := norm.NFD.String("josé@example.com")
	require.NotEqual(t, nfc, nfd)
	s.register(nfc)
	assert.Equal(t, http.StatusConflict,
		s.call("POST", "/v1/auth/register", "", creds{nfd, goodPassword}).Status)
	s.login(nfd) // either spelling logs in
}

func TestConcurrentRegistrationsYieldOneAccount(t *testing.T) {
	s := startServer(t)
	const n = 50
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- s.call("POST", "/v1/auth/register", "", creds{"race@example.com", goodPassword}).Status
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	assert.Equal(t, map[int]int{http.StatusCreated: 1, http.StatusConflict: n - 1}, count)
}

func TestLoginFailuresLookAlike(t *testing.T) {
	s := startServer(t)
	s.register("known@example.com")
	unknown := s.call("POST", "/v1/auth/login", "", creds{"nobody@example.com", goodPassword},
		"X-Request-Id", "same-id")
	wrong := s.call("POST", "/v1/auth/login", "", creds{"known@example.com", "wrong password 123"},
		"X-Request-Id", "same-id")
	assert.Equal(t, http.StatusUnauthorized, unknown.Status)
	assert.Equal(t, unknown.Status, wrong.Status)
	assert.Equal(t, string(unknown.Raw), string(wrong.Raw))
	assert.Equal(t, "invalid_credentials", wrong.str("code"))
	assert.Equal(t, "same-id", wrong.Header.Get("X-Request-Id"))
}

// devKey reads the server's generated Ed25519 signing key.
func devKey(t *testing.T, s *server) (ed25519.PrivateKey, string) {
	raw, err := os.ReadFile(s.keyFile)
	require.NoError(t, err)
	block, _ := pem.Decode(raw)
	require.NotNil(t, block)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	require.NoError(t, err)
	priv := k.(ed25519.PrivateKey)

	jwks := s.call("GET", "/.well-known/jwks.json", "", nil)
	require.Equal(t, http.StatusOK, jwks.Status)
	keys := jwks.JSON["keys"].([]any)
	require.Len(t, keys, 1)
	first := keys[0].(map[string]any)
	for _, private := range []string{"d", "p", "q", "k"} {
		assert.NotContains(t, first, private)
	}
	return priv, first["kid"].(string)
}

func TestForgedAndStaleTokensAreRefused(t *testing.T) {
	s := startServer(t)
	s.register("victim@example.com")
	access, _ := s.login("victim@example.com")
	priv, kid := devKey(t, s)

	parsed, err := jwt.ParseInsecure([]byte(access))
	require.NoError(t, err)
	claims, err := parsed.AsMap(t.Context())
	require.NoError(t, err)

	sign := func(mutate func(tok jwt.Token), alg jwa.SignatureAlgorithm, key any, kid string) string {
		tok := jwt.New()
		for k, v := range claims {
			require.NoError(t, tok.Set(k, v))
		}
		mutate(tok)
		hdr := jws.NewHeaders()
		_ = hdr.Set(jws.KeyIDKey, kid)
		out, err := jwt.Sign(tok, jwt.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
		require.NoError(t, err)
		return string(out)
	}
	same := func(jwt.Token) {}

	// The control: our own re-signing of the real claims is accepted.
	good := sign(same, jwa.EdDSA, priv, kid)
	require.Equal(t, http.StatusOK, s.call("GET", "/v1/users/me", good, nil).Status)

	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustPKIX(t, priv.Public())})
	payload := strings.Split(access, ".")[1]
	noneHeader := base64.RawURLEncoding.EncodeToString(
		[]byte(`{"alg":"none","typ":"JWT","kid":"` + kid + `"}`))
	otherPub, otherPriv, _ := ed25519.GenerateKey(nil)
	_ = otherPub
	otherJWK, err := jwk.FromRaw(otherPriv)
	require.NoError(t, err)

	cases := map[string]string{
		"alg none":              noneHeader + "." + payload + ".",
		"HS256 with public PEM": sign(same, jwa.HS256, pubPEM, kid),
		"HS256 with raw public": sign(same, jwa.HS256, []byte(priv.Public().(ed25519.PublicKey)), kid),
		"expired": sign(func(tok jwt.Token) {
			_ = tok.Set(jwt.IssuedAtKey, time.Now().Add(-2*time.Hour))
			_ = tok.Set(jwt.NotBeforeKey, time.Now().Add(-2*time.Hour))
			_ = tok.Set(jwt.ExpirationKey, time.Now().Add(-time.Hour))
		}, jwa.EdDSA, priv, kid),
		"other audience": sign(func(tok jwt.Token) {
			_ = tok.Set(jwt.AudienceKey, "someone-else")
		}, jwa.EdDSA, priv, kid),
		"other issuer": sign(func(tok jwt.Token) {
			_ = tok.Set(jwt.IssuerKey, "evil")
		}, jwa.EdDSA, priv, kid),
		"unknown kid":      sign(same, jwa.EdDSA, priv, "no-such-key"),
		"foreign key":      sign(same, jwa.EdDSA, otherJWK, kid),
		"garbage":          "not.a.token",
		"tampered payload": strings.Replace(good, payload[:8], "eyJzdWIi", 1),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			r := s.call("GET", "/v1/users/me", tok, nil)
			assert.Equal(t, http.StatusUnauthorized, r.Status)
			assert.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
		})
	}
}

func mustPKIX(t *testing.T, pub any) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return der
}

func TestBadInputGetsClearErrors(t *testing.T) {
	s := startServer(t)
	huge := `{"email":"a@example.com","password":"` + strings.Repeat("x", 2<<20) + `"}`
	long := strings.Repeat("é", 10000)

	cases := []struct {
		name   string
		body   any
		ctype  string
		status int
	}{
		{"2 MiB body", huge, "", http.StatusRequestEntityTooLarge},
		{"unknown field", `{"email":"a@example.com","password":"` + goodPassword + `","admin":true}`,
			"", http.StatusBadRequest},
		{"malformed JSON", `{"email":`, "", http.StatusBadRequest},
		{"two objects", `{} {}`, "", http.StatusBadRequest},
		{"array body", `[]`, "", http.StatusBadRequest},
		{"wrong type", `{"email":5,"password":"x"}`, "", http.StatusBadRequest},
		{"empty body", "", "", http.StatusBadRequest},
		{"text/plain", `{"email":"a@example.com","password":"` + goodPassword + `"}`,
			"text/plain", http.StatusUnsupportedMediaType},
		{"10k name", map[string]string{"email": "n@example.com", "password": goodPassword, "name": long},
			"", http.StatusBadRequest},
		{"10k password", map[string]string{"email": "p@example.com", "password": long},
			"", http.StatusBadRequest},
		{"common password", creds{"c@example.com", "password1"}, "", http.StatusBadRequest},
		{"password is the email", creds{"same@example.com", "Same@Example.com"}, "", http.StatusBadRequest},
		{"bad email", creds{"not-an-email", goodPassword}, "", http.StatusBadRequest},
		{"NUL in name", map[string]string{"email": "z@example.com", "password": goodPassword,
			"name": "a\u0000b"}, "", http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var headers []string
			if c.ctype != "" {
				headers = []string{"Content-Type", c.ctype}
			}
			r := s.call("POST", "/v1/auth/register", "", c.body, headers...)
			assert.Equal(t, c.status, r.Status, string(r.Raw[:min(len(r.Raw), 300)]))
			assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
			assert.EqualValues(t, c.status, r.JSON["status"])
			assert.NotEmpty(t, r.str("request_id"))
			assert.Equal(t, r.Header.Get("X-Request-Id"), r.str("request_id"))
		})
	}

	login := s.call("POST", "/v1/auth/login", "", creds{"a@example.com", long})
	assert.Equal(t, http.StatusUnauthorized, login.Status)
	v := s.call("POST", "/v1/auth/register", "", creds{"bad", "short"})
	require.Equal(t, http.StatusBadRequest, v.Status)
	fields := map[string]bool{}
	for _, e := range v.JSON["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	assert.Equal(t, map[string]bool{"email": true, "password": true}, fields)
}

func TestOperationalRoutes(t *testing.T) {
	s := startServer(t)
	assert.Equal(t, http.StatusOK, s.call("GET", "/healthz", "", nil).Status)
	assert.Equal(t, http.StatusOK, s.call("GET", "/readyz", "", nil).Status)
	doc := s.call("GET", "/openapi.yaml", "", nil)
	assert.Equal(t, http.StatusOK, doc.Status)
	assert.Contains(t, string(doc.Raw), "openapi: 3")

	s.call("GET", "/v1/users/me", "", nil)
	m := s.call("GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, m.Status)
	assert.Contains(t, string(m.Raw), `auth_http_requests_total{method="GET",route="/v1/users/me",status="401"}`)

	nf := s.call("GET", "/v1/nope/../../etc", "", nil)
	assert.Equal(t, http.StatusNotFound, nf.Status)
	assert.Equal(t, http.StatusMethodNotAllowed, s.call("PUT", "/v1/auth/login", "", nil).Status)

	// HEAD goes wherever GET does, with the same status and no body.
	head := s.call("HEAD", "/healthz", "", nil)
	assert.Equal(t, http.StatusOK, head.Status)
	assert.Empty(t, head.Raw)
	assert.Equal(t, http.StatusUnauthorized, s.call("HEAD", "/v1/users/me", "", nil).Status)
	wrong := s.call("DELETE", "/healthz", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, wrong.Status)
	assert.Equal(t, "GET, HEAD", wrong.Header.Get("Allow"))

	keep := s.call("GET", "/healthz", "", nil, "X-Request-Id", "abc-123_x.y")
	assert.Equal(t, "abc-123_x.y", keep.Header.Get("X-Request-Id"))
	fresh := s.call("GET", "/healthz", "", nil, "X-Request-Id", "bad id with spaces")
	assert.NotEqual(t, "bad id with spaces", fresh.Header.Get("X-Request-Id"))
	assert.NotEmpty(t, fresh.Header.Get("X-Request-Id"))
}

func TestGracefulShutdownAndLogsCarryNoSecrets(t *testing.T) {
	s := startServer(t)
	s.register("quiet@example.com")
	access, refresh := s.login("quiet@example.com")
	s.call("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
	require.NoError(t, s.stop(), "SIGTERM ends the server with status 0")

	logs := s.logs.String()
	for _, secret := range []string{goodPassword, access, refresh, "$argon2id$"} {
		assert.NotContains(t, logs, secret)
	}
	var lines int
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "every log line is JSON: %s", line)
		if rec["msg"] == "request" {
			lines++
			for _, k := range []string{"request_id", "method", "route", "status", "duration_ms"} {
				assert.Contains(t, rec, k)
			}
		}
	}
	assert.GreaterOrEqual(t, lines, 3)
}
