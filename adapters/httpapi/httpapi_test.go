package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/adapters/metrics"
	"auth-service/application"
	"auth-service/ports/fakes"
)

func TestUnexpectedErrorsStayInTheLog(t *testing.T) {
	secret := errors.New(`pq: duplicate key; SELECT password_hash FROM users: $argon2id$v=19$m=1`)
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r = r.WithContext(context.WithValue(r.Context(), keyRequestID, "req-1"))
	r = r.WithContext(context.WithValue(r.Context(), keyLogger, slog.New(slog.NewTextHandler(io.Discard, nil))))
	w := httptest.NewRecorder()

	writeError(w, r, secret)

	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	body := w.Body.String()
	for _, leak := range []string{"SELECT", "password_hash", "argon2id", "pq:"} {
		assert.NotContains(t, body, leak)
	}
	var p map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	assert.Equal(t, "req-1", p["request_id"])
	assert.EqualValues(t, 500, p["status"])
}

func TestClientAddressTrustsOnlyConfiguredProxies(t *testing.T) {
	proxy := netip.MustParsePrefix("10.0.0.0/8")
	cases := []struct {
		name    string
		proxies []netip.Prefix
		peer    string
		xff     string
		want    string
	}{
		{"no proxies: header ignored", nil, "203.0.113.9:5555", "198.51.100.1", "203.0.113.9"},
		{"untrusted peer: header ignored", []netip.Prefix{proxy}, "203.0.113.9:5555", "198.51.100.1",
			"203.0.113.9"},
		{"trusted peer: nearest untrusted hop", []netip.Prefix{proxy}, "10.1.2.3:5555",
			"198.51.100.7, 198.51.100.1, 10.9.9.9", "198.51.100.1"},
		{"trusted peer, garbage header", []netip.Prefix{proxy}, "10.1.2.3:5555", "not-an-ip",
			"10.1.2.3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Server{proxies: c.proxies}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.peer
			r.Header.Set("X-Forwarded-For", c.xff)
			assert.Equal(t, c.want, s.clientIP(r))
		})
	}
}

// backupServer is a Server whose backup route runs on fakes.
func backupServer(t *testing.T, dumper *fakes.Dumper, lock *fakes.Locker) *Server {
	clock := fakes.NewClock(time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC))
	b := application.NewBackups(application.BackupConfig{Keep: 3, Retries: 3, RetryDelay: time.Second},
		dumper, fakes.NewFiles(clock), lock, &fakes.BackupState{}, clock, &fakes.Sleeper{Clock: clock},
		&fakes.Random{}, &fakes.Audit{})
	return &Server{backups: b, metrics: metrics.New(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestRunBackupAnswers(t *testing.T) {
	cases := []struct {
		name   string
		dumper *fakes.Dumper
		lock   *fakes.Locker
		status int
	}{
		{"made", &fakes.Dumper{}, &fakes.Locker{}, http.StatusCreated},
		{"already running", &fakes.Dumper{}, &fakes.Locker{Busy: true}, http.StatusConflict},
		{"dump failed", &fakes.Dumper{Script: []fakes.DumpStep{{Err: errors.New("pg_dump: boom")}}},
			&fakes.Locker{}, http.StatusServiceUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := backupServer(t, c.dumper, c.lock)
			r := httptest.NewRequest(http.MethodPost, "/v1/admin/backups", nil)
			r = r.WithContext(context.WithValue(r.Context(), keyPrincipal, application.Principal{UserID: "u"}))
			w := httptest.NewRecorder()
			s.runBackup(w, r)
			assert.Equal(t, c.status, w.Code, w.Body.String())
			assert.NotContains(t, w.Body.String(), "boom", "the tool's text stays in the log")
			if c.name == "dump failed" {
				assert.Equal(t, 1, c.dumper.DumpCalls(), "an HTTP caller gets one attempt")
			}
		})
	}
}

// A route that takes no body still answers a body it would ignore: 415
// for another type, 400 for any field or a null; nothing, or {}, passes.
func TestNoBodyRoutesRefuseWhatTheyWouldIgnore(t *testing.T) {
	cases := []struct {
		name, ctype, body string
		status            int
	}{
		{"nothing", "", "", http.StatusNoContent},
		{"empty object", "application/json", "{}", http.StatusNoContent},
		{"text", "text/plain", "junk", http.StatusUnsupportedMediaType},
		{"a field", "application/json", `{"x":1}`, http.StatusBadRequest},
		{"null", "application/json", "null", http.StatusBadRequest},
		{"array", "application/json", "[]", http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			called := false
			h := noBody(func(w http.ResponseWriter, _ *http.Request) {
				called = true
				w.WriteHeader(http.StatusNoContent)
			})
			r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(c.body))
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			r = r.WithContext(context.WithValue(r.Context(), keyLogger, slog.New(slog.NewTextHandler(io.Discard, nil))))
			w := httptest.NewRecorder()

			h(w, r)

			assert.Equal(t, c.status, w.Code, w.Body.String())
			assert.Equal(t, c.status == http.StatusNoContent, called, "the handler runs only when the body is nothing")
		})
	}
}

// A JSON null is not an object, for routes that take a body too.
func TestDecodeRefusesNull(t *testing.T) {
	var dst struct {
		Name *string `json:"name"`
	}
	r := httptest.NewRequest(http.MethodPatch, "/x", strings.NewReader(" null "))
	r.Header.Set("Content-Type", "application/json")

	err := decode(httptest.NewRecorder(), r, &dst, false)

	var he *httpError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusBadRequest, he.status)
}

// A query string that cannot be read whole is refused, not half read.
func TestQueryStringIsReadWholeOrRefused(t *testing.T) {
	cases := map[string]int{
		"status=active&q=ana":  http.StatusNoContent,
		"q=100%25":             http.StatusNoContent,
		"status=%zz":           http.StatusBadRequest,
		"action=login%":        http.StatusBadRequest,
		"page=1&page=2":        http.StatusBadRequest,
		"q=%00":                http.StatusBadRequest,
		"q=%C3%28":             http.StatusBadRequest,
		"":                     http.StatusNoContent,
		"permanent=true&x=%2G": http.StatusBadRequest,
	}
	for query, want := range cases {
		t.Run(query, func(t *testing.T) {
			h := saneInput(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			}))
			r := httptest.NewRequest(http.MethodGet, "/v1/admin/users?"+query, nil)
			r = r.WithContext(context.WithValue(r.Context(), keyLogger, slog.New(slog.NewTextHandler(io.Discard, nil))))
			w := httptest.NewRecorder()

			h.ServeHTTP(w, r)

			assert.Equal(t, want, w.Code, w.Body.String())
		})
	}
}

// A client that goes away (or half-closes) is logged as 499, but what goes
// on the wire is a real status with a problem document.
func TestClientGoneIsLoggedAs499AndAnsweredProperly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodPost, "/v1/auth/login", nil).WithContext(ctx)
	r = r.WithContext(context.WithValue(r.Context(), keyRequestID, "req-9"))
	r = r.WithContext(context.WithValue(r.Context(), keyLogger, slog.New(slog.NewTextHandler(io.Discard, nil))))
	wire := httptest.NewRecorder()
	rec := &statusRecorder{ResponseWriter: wire}

	writeError(rec, r, fmt.Errorf("query: %w", context.Canceled))

	assert.Equal(t, statusClientClosed, rec.status, "the log and the metrics say 499")
	assert.Equal(t, http.StatusServiceUnavailable, wire.Code, "the wire carries a real status")
	assert.Equal(t, "application/problem+json", wire.Header().Get("Content-Type"))
	assert.Contains(t, wire.Body.String(), `"request_id":"req-9"`)
}

// A null field would read as one left out; it is refused instead.
func TestDecodeRefusesNullFields(t *testing.T) {
	var dst struct {
		Name   *string `json:"name"`
		Status *string `json:"status"`
	}
	for _, body := range []string{`{"name":null}`, `{"status":null,"name":"x"}`} {
		r := httptest.NewRequest(http.MethodPatch, "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")

		err := decode(httptest.NewRecorder(), r, &dst, false)

		var he *httpError
		require.ErrorAs(t, err, &he, body)
		assert.Equal(t, http.StatusBadRequest, he.status, body)
	}
}
