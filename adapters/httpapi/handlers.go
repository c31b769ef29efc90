package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"auth-service/application"
	"auth-service/domain"
)

type userJSON struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Status      string     `json:"status"`
	Roles       []string   `json:"roles"`
	Permissions []string   `json:"permissions"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	DeletedAt   *time.Time `json:"deleted_at,omitempty"`
}

func toUserJSON(u domain.User) userJSON {
	return userJSON{
		ID:          u.ID,
		Email:       u.Email,
		Name:        u.Name,
		Status:      string(u.Status),
		Roles:       nonNil(u.Roles),
		Permissions: nonNil(u.Permissions),
		CreatedAt:   u.CreatedAt.UTC(),
		UpdatedAt:   u.UpdatedAt.UTC(),
		DeletedAt:   u.DeletedAt,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type tokenPairJSON struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

func writeTokens(w http.ResponseWriter, p application.TokenPair) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenPairJSON{
		AccessToken:  p.AccessToken,
		TokenType:    "Bearer",
		ExpiresIn:    int64(p.ExpiresIn / time.Second),
		RefreshToken: p.RefreshToken,
	})
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Name     string `json:"name"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	u, err := s.auth.Register(r.Context(), in.Email, in.Password, in.Name)
	if err != nil {
		writeError(w, r, err)
		return
	}

	w.Header().Set("Location", "/v1/users/me")
	writeJSON(w, http.StatusCreated, toUserJSON(u))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	client := application.Client{IP: s.clientIP(r), UserAgent: r.UserAgent()}
	pair, err := s.auth.Login(r.Context(), in.Email, in.Password, client)
	s.metrics.Logins.WithLabelValues(outcome(err)).Inc()
	if err != nil {
		writeError(w, r, err)
		return
	}

	writeTokens(w, pair)
}

// outcome is a bounded label for a login or refresh result.
func outcome(err error) string {
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, application.ErrRefreshReused):
		return "reused"
	case errors.Is(err, domain.ErrInvalidCredentials):
		return "invalid_credentials"
	case errors.Is(err, domain.ErrUnauthenticated), errors.Is(err, domain.ErrInvalid):
		return "invalid"
	default:
		return "error"
	}
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	pair, err := s.auth.Refresh(r.Context(), in.RefreshToken)
	s.metrics.RefreshOutcomes.WithLabelValues(outcome(err)).Inc()
	if err != nil {
		writeError(w, r, err)
		return
	}

	writeTokens(w, pair)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Scope string `json:"scope"`
	}
	if err := decode(w, r, &in, true); err != nil {
		writeError(w, r, err)
		return
	}

	if err := s.auth.Logout(r.Context(), principalFrom(r), in.Scope); err != nil {
		writeError(w, r, err)
		return
	}

	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	u, err := s.account.Me(r.Context(), principalFrom(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name *string `json:"name"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}
	if in.Name == nil {
		writeError(w, r, domain.Invalid("name", "is required"))
		return
	}

	u, err := s.account.UpdateName(r.Context(), principalFrom(r), *in.Name)
	if err != nil {
		writeError(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, toUserJSON(u))
}

type sessionJSON struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request) {
	list, err := s.account.Sessions(r.Context(), principalFrom(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	items := make([]sessionJSON, len(list))
	for i, v := range list {
		items[i] = sessionJSON{
			ID:         v.ID,
			CreatedAt:  v.CreatedAt.UTC(),
			LastUsedAt: v.LastUsedAt.UTC(),
			IP:         v.IP,
			UserAgent:  v.UserAgent,
			Current:    v.Current,
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) {
	err := s.account.RevokeSession(r.Context(), principalFrom(r), mux.Vars(r)["id"])
	if errors.Is(err, domain.ErrNotFound) {
		writeError(w, r, domain.NewError(domain.ErrNotFound, "session_not_found",
			"no active session with this id belongs to the caller"))
		return
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	set, err := s.tokens.PublicKeys(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(append(set, '\n'))
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "error", err.Error())
		writeProblem(w, r, problem{Status: http.StatusServiceUnavailable,
			Code: "not_ready", Detail: "the database does not answer"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPIDocument)
}
