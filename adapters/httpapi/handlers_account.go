package httpapi

import (
	"context"
	"net/http"
	"time"

	"auth-service/application"
)

// forgotTimeout bounds the work done after a forgot request is answered.
const forgotTimeout = 30 * time.Second

func (s *Server) client(r *http.Request) application.Client {
	return application.Client{IP: s.clientIP(r), UserAgent: r.UserAgent()}
}

func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	client := s.client(r)
	if err := s.auth.CheckForgot(r.Context(), in.Email, client); err != nil {
		writeError(w, r, err)
		return
	}

	// Answer first, so known and unknown addresses take the same time;
	// the lookup, token and mail happen after.
	ctx, log := context.WithoutCancel(r.Context()), logFrom(r)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(ctx, forgotTimeout)
		defer cancel()
		if err := s.auth.ForgotPassword(ctx, in.Email, client); err != nil {
			log.Error("password reset request failed", "request_id", requestID(r),
				"error", err.Error())
		}
	}()
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token       string `json:"token"`
		NewPassword string `json:"new_password"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	if err := s.auth.ResetPassword(r.Context(), in.Token, in.NewPassword, s.client(r)); err != nil {
		writeError(w, r, err)
		return
	}

	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) restore(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	pair, err := s.auth.Restore(r.Context(), in.Email, in.Password, s.client(r))
	if err != nil {
		writeError(w, r, err)
		return
	}

	writeTokens(w, pair)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	err := s.account.ChangePassword(r.Context(), principalFrom(r), in.CurrentPassword, in.NewPassword)
	if err != nil {
		writeError(w, r, err)
		return
	}

	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	if err := s.account.DeleteSelf(r.Context(), principalFrom(r), in.Password); err != nil {
		writeError(w, r, err)
		return
	}

	w.WriteHeader(http.StatusNoContent)
}
