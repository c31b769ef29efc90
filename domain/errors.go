package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The kinds of failure a use case reports. Adapters match them with
// errors.Is and never show anything but an Error's Detail to a client.
var (
	// ErrNotFound means the thing asked for does not exist for the caller.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the request clashes with the current state.
	ErrConflict = errors.New("conflict")
	// ErrInvalidCredentials means an email and password did not match an
	// account that may log in.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrUnauthenticated means a token is missing, malformed, expired or
	// revoked.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the caller is known but lacks a permission.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid means the request is well formed but not acceptable; a
	// *ValidationError says which fields are wrong.
	ErrInvalid = errors.New("invalid input")
)

// Error is a domain failure with a message that is safe to show a client.
// Errors.Is on it matches Kind.
type Error struct {
	Kind   error
	Code   string
	Detail string
}

// Error returns the safe detail.
func (e *Error) Error() string { return e.Detail }

// Unwrap returns the kind, so errors.Is(err, ErrConflict) works.
func (e *Error) Unwrap() error { return e.Kind }

// NewError returns an *Error of the given kind with a machine-readable code
// and a detail formatted from the arguments.
func NewError(kind error, code, format string, args ...any) error {
	return &Error{Kind: kind, Code: code, Detail: fmt.Sprintf(format, args...)}
}

// FieldError names one invalid input field and says what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists the invalid fields of one request. It matches
// ErrInvalid with errors.Is.
type ValidationError struct {
	Fields []FieldError
}

// Error joins the field messages.
func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Message)
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Add records a problem with one field.
func (e *ValidationError) Add(field, message string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: message})
}

// Err returns e when it holds any field error and nil otherwise.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Invalid returns a validation error for a single field.
func Invalid(field, message string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: message}}}
}

// ErrThrottled means the caller tried too often and must wait; a
// *ThrottledError says how long.
var ErrThrottled = errors.New("too many attempts")

// ErrGone means the thing existed but can no longer be had, such as an
// account past its restore window.
var ErrGone = errors.New("gone")

// ThrottledError says how long a throttled caller must wait.
type ThrottledError struct {
	RetryAfter time.Duration
}

// Error says that the caller must wait.
func (e *ThrottledError) Error() string {
	return "too many attempts; retry after " + e.RetryAfter.Round(time.Second).String()
}

// Unwrap returns ErrThrottled.
func (e *ThrottledError) Unwrap() error { return ErrThrottled }
