// Package httpapi is the HTTP adapter: routes, JSON bodies, problem
// responses, request ids, access logs and metrics, on gorilla/mux.
package httpapi

import (
	_ "embed"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"auth-service/adapters/metrics"
	"auth-service/application"
	"auth-service/domain"
	"auth-service/ports"
)

//go:embed openapi.yaml
var openAPIDocument []byte

// Server holds the use cases and turns HTTP requests into calls on them.
type Server struct {
	auth    *application.Auth
	account *application.Account
	admin   *application.Admin
	backups *application.Backups
	bg      sync.WaitGroup // work answered before it finished (forgot)
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
	admin *application.Admin,
	backups *application.Backups,
	tokens ports.AccessTokens,
	db ports.Pinger,
	m *metrics.Metrics,
	log *slog.Logger,
) *Server {
	s := &Server{
		auth:    auth,
		account: account,
		admin:   admin,
		backups: backups,
		tokens:  tokens,
		db:      db,
		metrics: m,
		log:     log,
		proxies: opts.TrustedProxies,
	}
	if backups != nil {
		m.RegisterBackups(func() metrics.BackupSnapshot {
			st := backups.State()
			return metrics.BackupSnapshot{LastSuccess: st.LastSuccessAt, Failures: st.Failures,
				Duration: time.Duration(st.LastDurationMS) * time.Millisecond, Size: st.LastSize}
		})
	}
	s.handler = s.observe(s.router())
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Who may call a route: anyone, or the holder of a valid access token of
// an active account with the permission named ("" for any such holder).
const (
	public = "public"
	bearer = ""
)

// route is one line of the API's policy: who may call what.
type route struct {
	method string
	path   string
	access string // public, bearer, or the permission needed
	handle http.HandlerFunc
}

// routes is the whole API and its access policy in one table.
func (s *Server) routes() []route {
	return []route{
		{http.MethodPost, "/v1/auth/register", public, s.register},
		{http.MethodPost, "/v1/auth/login", public, s.login},
		{http.MethodPost, "/v1/auth/refresh", public, s.refresh},
		{http.MethodPost, "/v1/auth/logout", bearer, s.logout},
		{http.MethodPost, "/v1/auth/password/forgot", public, s.forgot},
		{http.MethodPost, "/v1/auth/password/reset", public, s.reset},
		{http.MethodPost, "/v1/auth/restore", public, s.restore},

		{http.MethodGet, "/v1/users/me", bearer, s.me},
		{http.MethodPatch, "/v1/users/me", bearer, s.updateMe},
		{http.MethodDelete, "/v1/users/me", bearer, s.deleteMe},
		{http.MethodPost, "/v1/users/me/password", bearer, s.changePassword},
		{http.MethodGet, "/v1/users/me/sessions", bearer, s.sessions},
		{http.MethodDelete, "/v1/users/me/sessions/{id}", bearer, noBody(s.revokeSession)},

		{http.MethodGet, "/v1/admin/users", domain.PermUsersRead, s.listUsers},
		{http.MethodPost, "/v1/admin/users", domain.PermUsersWrite, s.createUser},
		{http.MethodGet, "/v1/admin/users/{id}", domain.PermUsersRead, s.getUser},
		{http.MethodPatch, "/v1/admin/users/{id}", domain.PermUsersWrite, s.updateUser},
		{http.MethodDelete, "/v1/admin/users/{id}", domain.PermUsersDelete, noBody(s.deleteUser)},
		{http.MethodPost, "/v1/admin/users/{id}/restore", domain.PermUsersWrite, noBody(s.restoreUser)},
		{http.MethodPut, "/v1/admin/users/{id}/roles", domain.PermRolesAssign, s.setUserRoles},
		{http.MethodGet, "/v1/admin/roles", domain.PermRolesRead, s.listRoles},
		{http.MethodPost, "/v1/admin/roles", domain.PermRolesManage, s.createRole},
		{http.MethodGet, "/v1/admin/roles/{name}", domain.PermRolesRead, s.getRole},
		{http.MethodPatch, "/v1/admin/roles/{name}", domain.PermRolesManage, s.describeRole},
		{http.MethodPut, "/v1/admin/roles/{name}/permissions", domain.PermRolesManage, s.setRolePermissions},
		{http.MethodDelete, "/v1/admin/roles/{name}", domain.PermRolesManage, noBody(s.deleteRole)},
		{http.MethodGet, "/v1/admin/permissions", domain.PermRolesRead, s.listPermissions},
		{http.MethodPost, "/v1/admin/permissions", domain.PermRolesManage, s.createPermission},
		{http.MethodGet, "/v1/admin/audit-events", domain.PermAuditRead, s.listAudit},
		{http.MethodGet, "/v1/admin/backups", domain.PermBackupsRead, s.listBackups},
		{http.MethodPost, "/v1/admin/backups", domain.PermBackupsRun, noBody(s.runBackup)},

		{http.MethodGet, "/.well-known/jwks.json", public, s.jwks},
		{http.MethodGet, "/healthz", public, s.healthz},
		{http.MethodGet, "/readyz", public, s.readyz},
		{http.MethodGet, "/metrics", public, s.metrics.Handler().ServeHTTP},
		{http.MethodGet, "/openapi.yaml", public, s.openapi},
	}
}

// Permissions returns, for every guarded route, "METHOD path" mapped to
// the permission it needs ("" for any valid token).
func (s *Server) Permissions() map[string]string {
	out := map[string]string{}
	for _, rt := range s.routes() {
		if rt.access != public {
			out[rt.method+" "+rt.path] = rt.access
		}
	}
	return out
}

// Wait blocks until work answered early (password reset mails) is done.
func (s *Server) Wait() { s.bg.Wait() }

func (s *Server) router() *mux.Router {
	r := mux.NewRouter()
	// Paths are taken as sent: cleaning them would answer a POST to
	// //v1/auth/login with a redirect that clients replay as a GET.
	r.SkipClean(true)
	r.Use(markRoute, saneInput)
	for _, rt := range s.routes() {
		h := rt.handle
		if rt.method == http.MethodGet {
			h = noBody(h) // no GET reads a body: one sent is refused, not ignored
		}
		if rt.access != public {
			h = s.authenticate(rt.access, h)
		}
		methods := []string{rt.method}
		if rt.method == http.MethodGet {
			methods = append(methods, http.MethodHead) // net/http drops the body
		}
		r.Handle(rt.path, h).Methods(methods...)
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeProblem(w, req, problem{Status: http.StatusNotFound, Code: "not_found",
			Detail: "no such route"})
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Allow", strings.Join(allowed(r, req), ", "))
		writeProblem(w, req, problem{Status: http.StatusMethodNotAllowed,
			Code: "method_not_allowed", Detail: "this route does not take that method"})
	})
	return r
}

// allowed lists the methods the router serves at the request's path.
func allowed(r *mux.Router, req *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete} {
		probe := req.Clone(req.Context())
		probe.Method = m
		var match mux.RouteMatch
		if r.Match(probe, &match) && match.MatchErr == nil {
			out = append(out, m)
		}
	}
	return out
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
