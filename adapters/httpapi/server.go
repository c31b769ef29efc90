// Package httpapi is the HTTP adapter: routes, JSON bodies, problem
// responses, request ids, access logs and metrics, on gorilla/mux.
package httpapi

import (
	_ "embed"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gorilla/mux"

	"auth-service/adapters/metrics"
	"auth-service/application"
	"auth-service/ports"
)

//go:embed openapi.yaml
var openAPIDocument []byte

// Server holds the use cases and turns HTTP requests into calls on them.
type Server struct {
	auth    *application.Auth
	account *application.Account
	tokens  ports.AccessTokens
	db      ports.Pinger
	metrics *metrics.Metrics
	log     *slog.Logger
	proxies []netip.Prefix
	handler http.Handler
}

// Options are the HTTP settings that are not use cases.
type Options struct {
	TrustedProxies []netip.Prefix
}

// NewServer builds the router with every route of the API.
func NewServer(
	opts Options,
	auth *application.Auth,
	account *application.Account,
	tokens ports.AccessTokens,
	db ports.Pinger,
	m *metrics.Metrics,
	log *slog.Logger,
) *Server {
	s := &Server{
		auth:    auth,
		account: account,
		tokens:  tokens,
		db:      db,
		metrics: m,
		log:     log,
		proxies: opts.TrustedProxies,
	}
	s.handler = s.observe(s.router())
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// access says who may call a route.
type access int

const (
	public access = iota
	bearer        // any valid access token of an active account
)

// route is one line of the API's policy: who may call what.
type route struct {
	method string
	path   string
	access access
	handle http.HandlerFunc
}

// routes is the whole API and its access policy in one table.
func (s *Server) routes() []route {
	return []route{
		{http.MethodPost, "/v1/auth/register", public, s.register},
		{http.MethodPost, "/v1/auth/login", public, s.login},
		{http.MethodPost, "/v1/auth/refresh", public, s.refresh},
		{http.MethodPost, "/v1/auth/logout", bearer, s.logout},

		{http.MethodGet, "/v1/users/me", bearer, s.me},
		{http.MethodPatch, "/v1/users/me", bearer, s.updateMe},
		{http.MethodGet, "/v1/users/me/sessions", bearer, s.sessions},
		{http.MethodDelete, "/v1/users/me/sessions/{id}", bearer, s.revokeSession},

		{http.MethodGet, "/.well-known/jwks.json", public, s.jwks},
		{http.MethodGet, "/healthz", public, s.healthz},
		{http.MethodGet, "/readyz", public, s.readyz},
		{http.MethodGet, "/metrics", public, s.metrics.Handler().ServeHTTP},
		{http.MethodGet, "/openapi.yaml", public, s.openapi},
	}
}

func (s *Server) router() *mux.Router {
	r := mux.NewRouter()
	r.Use(markRoute)
	for _, rt := range s.routes() {
		h := rt.handle
		if rt.access == bearer {
			h = s.authenticate(h)
		}
		r.Handle(rt.path, h).Methods(rt.method)
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeProblem(w, req, problem{Status: http.StatusNotFound, Code: "not_found",
			Detail: "no such route"})
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeProblem(w, req, problem{Status: http.StatusMethodNotAllowed,
			Code: "method_not_allowed", Detail: "this route does not take that method"})
	})
	return r
}

// RouteList returns "METHOD path" for every route, for the OpenAPI check.
func (s *Server) RouteList() []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

// HTTPServer wraps handler in an http.Server with explicit timeouts.
func HTTPServer(addr string, handler http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
