package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"auth-service/domain"
)

// statusClientClosed is recorded, never sent, when the client went away
// (or half-closed its side) before the answer: nginx's 499.
const statusClientClosed = 499

// problem is an RFC 9457 problem document, with the request id and, for
// validation failures, the fields at fault.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Code      string              `json:"code"`
	RequestID string              `json:"request_id"`
	Errors    []domain.FieldError `json:"errors,omitempty"`
}

// httpError is a failure of the HTTP layer itself: a body too large, of
// the wrong type, or malformed.
type httpError struct {
	status int
	code   string
	detail string
	fields []domain.FieldError
}

func (e *httpError) Error() string { return e.detail }

func badRequest(code, detail string, fields ...domain.FieldError) error {
	return &httpError{status: http.StatusBadRequest, code: code, detail: detail, fields: fields}
}

// kinds maps each domain error kind to its status and default problem,
// first match wins.
var kinds = []struct {
	kind    error
	problem problem
}{
	{domain.ErrInvalidCredentials, problem{Status: http.StatusUnauthorized,
		Code: "invalid_credentials", Detail: "email or password is incorrect"}},
	{domain.ErrUnauthenticated, problem{Status: http.StatusUnauthorized,
		Code: "invalid_token", Detail: "the token is missing, invalid, expired or revoked"}},
	{domain.ErrForbidden, problem{Status: http.StatusForbidden,
		Code: "forbidden", Detail: "the caller lacks the permission this route needs"}},
	{domain.ErrNotFound, problem{Status: http.StatusNotFound,
		Code: "not_found", Detail: "the resource does not exist"}},
	{domain.ErrConflict, problem{Status: http.StatusConflict,
		Code: "conflict", Detail: "the request conflicts with the current state"}},
	{domain.ErrInvalid, problem{Status: http.StatusBadRequest,
		Code: "invalid", Detail: "the request is not acceptable"}},
	{domain.ErrGone, problem{Status: http.StatusGone,
		Code: "gone", Detail: "the resource can no longer be had"}},
	{domain.ErrThrottled, problem{Status: http.StatusTooManyRequests,
		Code: "too_many_attempts", Detail: "too many attempts; wait before trying again"}},
}

// problemFor is the one place where an error becomes a status and a
// problem document. Anything it does not recognise is a 500 whose detail
// stays in the log.
func problemFor(err error) problem {
	var (
		he *httpError
		ve *domain.ValidationError
		de *domain.Error
	)
	switch {
	case errors.As(err, &he):
		return problem{Status: he.status, Code: he.code, Detail: he.detail, Errors: he.fields}
	case errors.As(err, &ve):
		return problem{Status: http.StatusBadRequest, Code: "validation_failed",
			Detail: "the request has invalid fields", Errors: ve.Fields}
	}
	p, ok := problem{}, false
	for _, k := range kinds {
		if errors.Is(err, k.kind) {
			p, ok = k.problem, true
			break
		}
	}
	if !ok {
		return problem{Status: http.StatusInternalServerError, Code: "internal",
			Detail: "an internal error occurred; quote the request id when reporting it"}
	}
	if errors.As(err, &de) {
		if de.Code != "" {
			p.Code = de.Code
		}
		p.Detail = de.Detail
	}
	return p
}

// writeError answers with the problem document for err, logging the
// details of unexpected errors only.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		// The client went away, or only half-closed and still reads: the
		// log says 499 (no fault of the server), the wire a real status.
		if rec, ok := w.(interface{ clientClosed() }); ok {
			rec.clientClosed()
		}
		writeProblem(w, r, problem{Status: http.StatusServiceUnavailable, Code: "request_cancelled",
			Detail: "the request was cancelled before it finished"})
		return
	}
	p := problemFor(err)
	var te *domain.ThrottledError
	if errors.As(err, &te) {
		secs := int((te.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	if p.Status >= 500 {
		logFrom(r).ErrorContext(r.Context(), "request failed",
			"request_id", requestID(r), "error", err.Error())
	}
	writeProblem(w, r, p)
}

func writeProblem(w http.ResponseWriter, r *http.Request, p problem) {
	p.Type = "urn:auth-service:problem:" + p.Code
	p.Title = http.StatusText(p.Status)
	p.RequestID = requestID(r)
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="auth-service"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Default().Warn("encode response", "error", err.Error())
	}
}
