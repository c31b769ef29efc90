package domain

import (
	_ "embed"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Password length limits in Unicode code points. The minimum can be raised
// by configuration, never lowered below DefaultMinPasswordLength.
const (
	DefaultMinPasswordLength = 8
	MaxPasswordLength        = 256
)

// commonPasswordList is Openwall's password.lst as shipped in Debian's
// john-data package; its own notice is kept in the file's comment lines.
//
//go:embed common_passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]struct{} {
	set := make(map[string]struct{}, 4000)
	for _, line := range strings.Split(commonPasswordList, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#!comment:") {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
}()

// IsCommonPassword reports whether pw is on the bundled list of common
// passwords, ignoring case.
func IsCommonPassword(pw string) bool {
	_, ok := commonPasswords[strings.ToLower(pw)]
	return ok
}

// PasswordPolicy decides whether a new password is acceptable. It has no
// composition rules, as NIST SP 800-63B advises.
type PasswordPolicy struct {
	MinLength int
}

// Check returns a *ValidationError naming field when pw is too short, too
// long, common, or the same as the account's email; nil otherwise.
func (p PasswordPolicy) Check(field, pw, email string) error {
	minLen := p.MinLength
	if minLen < DefaultMinPasswordLength {
		minLen = DefaultMinPasswordLength
	}
	if !utf8.ValidString(pw) {
		return Invalid(field, "must be valid UTF-8")
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < minLen:
		return Invalid(field, "must be at least "+strconv.Itoa(minLen)+" characters")
	case n > MaxPasswordLength:
		return Invalid(field, "must be at most 256 characters")
	case IsCommonPassword(pw):
		return Invalid(field, "is too common; choose another")
	case email != "" && EmailKey(pw) == EmailKey(email):
		return Invalid(field, "must not be the email address")
	}
	return nil
}

// NormalizePassword returns the form of a password that is hashed and
// checked: Unicode NFC, so the same password typed on systems that compose
// accents differently still matches.
func NormalizePassword(pw string) string {
	return norm.NFC.String(pw)
}
