package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"auth-service/application"
	"auth-service/domain"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
	keyLogger
	keyRoute
)

// routeSlot is filled in by the router once a route matched, so the outer
// middleware can label the request with the route template.
type routeSlot struct{ template string }

// markRoute is router middleware that records the matched template.
func markRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slot, ok := r.Context().Value(keyRoute).(*routeSlot); ok {
			if cur := mux.CurrentRoute(r); cur != nil {
				if tpl, err := cur.GetPathTemplate(); err == nil {
					slot.template = tpl
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(keyRequestID).(string)
	return id
}

func logFrom(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

func principalFrom(r *http.Request) application.Principal {
	p, _ := r.Context().Value(keyPrincipal).(application.Principal)
	return p
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// clientClosed records statusClientClosed for the log and the metrics,
// whatever the answer that follows on the wire says.
func (s *statusRecorder) clientClosed() {
	if s.status == 0 {
		s.status = statusClientClosed
	}
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe gives each request an id, recovers from panics, and logs and
// counts it under its route template once it is done.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID.MatchString(id) {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", id)
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			w.Header().Set("Cache-Control", "no-store")
		}
		ctx := context.WithValue(r.Context(), keyRequestID, id)
		ctx = context.WithValue(ctx, keyLogger, s.log)
		slot := &routeSlot{template: "unmatched"}
		ctx = context.WithValue(ctx, keyRoute, slot)
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic while serving", "request_id", id,
					"panic", v, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeError(rec, r, errInternal)
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			route := slot.template
			elapsed := time.Since(start)
			s.metrics.HTTPRequests.WithLabelValues(route, methodLabel(r.Method),
				strconv.Itoa(status)).Inc()
			s.metrics.HTTPDuration.WithLabelValues(route, methodLabel(r.Method),
				strconv.Itoa(status)).Observe(elapsed.Seconds())
			level := slog.LevelInfo
			switch {
			case status >= 500:
				level = slog.LevelError
			case status >= 400:
				level = slog.LevelWarn
			}
			s.log.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.String("client_ip", s.clientIP(r)),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

var errInternal = &httpError{status: http.StatusInternalServerError, code: "internal",
	detail: "an internal error occurred; quote the request id when reporting it"}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// clientIP is the peer address, or the nearest untrusted address in
// X-Forwarded-For when the peer is a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// authenticate puts the caller of a Bearer token into the context, or
// answers 401; then it applies the route's permission, or answers 403.
// Tokens are read from the Authorization header only.
func (s *Server) authenticate(perm string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			writeError(w, r, errNoToken)
			return
		}
		p, err := s.auth.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			writeError(w, r, err)
			return
		}
		if err := application.Authorize(p, perm); err != nil {
			writeError(w, r, err)
			return
		}
		p.IP = s.clientIP(r)
		next(w, r.WithContext(context.WithValue(r.Context(), keyPrincipal, p)))
	}
}

var errNoToken = &httpError{status: http.StatusUnauthorized, code: "missing_token",
	detail: "an Authorization: Bearer access token is required"}

// saneInput refuses path parameters and query values that are not valid
// UTF-8 or hold control characters: nothing the API takes there may, and
// they must not reach the database as text.
func saneInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for name, v := range mux.Vars(r) {
			if !cleanText(v) {
				writeError(w, r, badRequest("malformed_parameter",
					"a path parameter is not valid text",
					domain.FieldError{Field: name, Message: "must be valid text"}))
				return
			}
		}
		// url.Values would drop a pair it cannot decode and keep the first
		// of a repeated name, so a filter could vanish without a word.
		query, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			writeError(w, r, badRequest("malformed_parameter",
				"the query string is not valid: a % must start an escape such as %25"))
			return
		}
		for name, values := range query {
			if len(values) > 1 {
				writeError(w, r, badRequest("malformed_parameter",
					fmt.Sprintf("the query parameter %q is given more than once", name),
					domain.FieldError{Field: name, Message: "must be given once"}))
				return
			}
			for _, v := range values {
				if !cleanText(name) || !cleanText(v) {
					writeError(w, r, badRequest("malformed_parameter",
						"a query parameter is not valid text",
						domain.FieldError{Field: name, Message: "must be valid text"}))
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if unicode.IsControl(c) {
			return false
		}
	}
	return true
}
