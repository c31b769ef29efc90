package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Limits on user fields, counted in Unicode code points.
const (
	MaxEmailLength = 254
	MaxNameLength  = 100
)

// Status is the administrative state of an account.
type Status string

// The account states. A soft-deleted account keeps its status and carries
// a deletion time instead.
const (
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == StatusActive || s == StatusDisabled }

// User is an account. PasswordHash is never shown to anyone.
type User struct {
	ID           string
	Email        string
	Name         string
	Status       Status
	PasswordHash string
	Roles        []string
	Permissions  []string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DeletedAt    *time.Time
}

// CanAuthenticate reports whether the account may log in, refresh or use
// an access token: it is active and not deleted.
func (u User) CanAuthenticate() bool {
	return u.Status == StatusActive && u.DeletedAt == nil
}

// Email is a normalised address: Address is what is stored and shown
// (trimmed, NFC), Key is what uniqueness is decided on (case-folded NFC).
type Email struct {
	Address string
	Key     string
}

var folder = cases.Fold()

// ParseEmail trims and normalises raw and checks that it looks like an
// address. It returns a *ValidationError for the field "email".
func ParseEmail(raw string) (Email, error) {
	if !utf8.ValidString(raw) {
		return Email{}, Invalid("email", "must be valid UTF-8")
	}
	addr := norm.NFC.String(strings.TrimSpace(raw))
	if addr == "" {
		return Email{}, Invalid("email", "is required")
	}
	if utf8.RuneCountInString(addr) > MaxEmailLength {
		return Email{}, Invalid("email", "must be at most 254 characters")
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return Email{}, Invalid("email", "must be an address like name@example.com")
	}
	local, host := addr[:at], addr[at+1:]
	if utf8.RuneCountInString(local) > 64 {
		return Email{}, Invalid("email", "local part must be at most 64 characters")
	}
	for _, r := range addr {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			r == '<' || r == '>' || r == '(' || r == ')' || r == '[' || r == ']' || r == ':' ||
			r == ',' || r == ';' || r == '"' || r == '\\' {
			return Email{}, Invalid("email", "contains a character not allowed in an address")
		}
	}
	if startsWithMark(local) || startsWithMark(host) {
		return Email{}, Invalid("email", "must not start a part with a combining mark")
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") ||
		strings.Contains(local, "..") {
		return Email{}, Invalid("email", "must not start or end with a dot or hold two in a row")
	}
	if strings.ContainsRune(local, '@') {
		return Email{}, Invalid("email", "must contain exactly one @")
	}
	if !strings.Contains(host, ".") || strings.HasPrefix(host, ".") ||
		strings.HasSuffix(host, ".") || strings.Contains(host, "..") {
		return Email{}, Invalid("email", "must have a domain like example.com")
	}
	return Email{Address: addr, Key: EmailKey(addr)}, nil
}

// startsWithMark reports whether s begins with a combining mark, which
// has no character of its own to combine with.
func startsWithMark(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.Is(unicode.M, r)
}

// NormalizeText returns s in NFC, the form emails and names are stored in.
func NormalizeText(s string) string { return norm.NFC.String(s) }

// EmailKey returns the form of an address that uniqueness is decided on:
// NFC, case-folded, NFC again (folding can denormalise).
func EmailKey(addr string) string {
	return norm.NFC.String(folder.String(norm.NFC.String(strings.TrimSpace(addr))))
}

// ParseName trims and checks a display name. Empty is allowed. It returns a
// *ValidationError for the field "name".
func ParseName(raw string) (string, error) {
	if !utf8.ValidString(raw) {
		return "", Invalid("name", "must be valid UTF-8")
	}
	name := norm.NFC.String(strings.TrimSpace(raw))
	if utf8.RuneCountInString(name) > MaxNameLength {
		return "", Invalid("name", "must be at most 100 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", Invalid("name", "must not contain control or invisible formatting characters")
		}
	}
	return name, nil
}
