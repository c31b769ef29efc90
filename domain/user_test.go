package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"auth-service/domain"
)

// requireField asserts that err is a *ValidationError matching
// domain.ErrInvalid whose only field is field.
func requireField(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, domain.ErrInvalid)
	var ve *domain.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Fields, 1)
	assert.Equal(t, field, ve.Fields[0].Field)
	assert.NotEmpty(t, ve.Fields[0].Message)
}

// hostOf returns a domain of exactly n code points, most of them two bytes
// long, ending in ".com".
func hostOf(n int) string {
	return strings.Repeat("ü", n-len(".com")) + ".com"
}

func TestParseEmail(t *testing.T) {
	local64 := strings.Repeat("é", 64)
	tests := []struct {
		name    string
		raw     string
		want    string
		wantErr bool
	}{
		{name: "plain", raw: "ana@example.com", want: "ana@example.com"},
		{name: "case kept", raw: "Ana.Lima@Example.COM", want: "Ana.Lima@Example.COM"},
		{name: "plus and subdomain", raw: "ana+tag@mail.example.co.uk", want: "ana+tag@mail.example.co.uk"},
		{name: "trimmed", raw: " \t ana@example.com \r\n", want: "ana@example.com"},
		{name: "NFD becomes NFC", raw: "jose\u0301@exa\u0308mple.de", want: "jos\u00e9@ex\u00e4mple.de"},
		{name: "unicode local part", raw: "jürgen@example.de", want: "jürgen@example.de"},
		{name: "254 code points", raw: local64 + "@" + hostOf(254-64-1), want: local64 + "@" + hostOf(254-64-1)},
		{name: "255 code points", raw: local64 + "@" + hostOf(255-64-1), wantErr: true},
		{name: "local part 64", raw: local64 + "@example.com", want: local64 + "@example.com"},
		{name: "local part 65", raw: strings.Repeat("é", 65) + "@example.com", wantErr: true},
		{
			name: "local part 64 after NFC",
			raw:  strings.Repeat("e\u0301", 64) + "@example.com",
			want: local64 + "@example.com",
		},
		{name: "empty", raw: "", wantErr: true},
		{name: "only spaces", raw: "   ", wantErr: true},
		{name: "missing @", raw: "ana.example.com", wantErr: true},
		{name: "two @", raw: "ana@lima@example.com", wantErr: true},
		{name: "double @", raw: "ana@@example.com", wantErr: true},
		{name: "empty local part", raw: "@example.com", wantErr: true},
		{name: "empty domain", raw: "ana@", wantErr: true},
		{name: "only @", raw: "@", wantErr: true},
		{name: "no dot in domain", raw: "ana@localhost", wantErr: true},
		{name: "leading dot in domain", raw: "ana@.example.com", wantErr: true},
		{name: "trailing dot in domain", raw: "ana@example.com.", wantErr: true},
		{name: "double dot in domain", raw: "ana@example..com", wantErr: true},
		{name: "space in local part", raw: "ana lima@example.com", wantErr: true},
		{name: "space in domain", raw: "ana@exam ple.com", wantErr: true},
		{name: "no-break space", raw: "ana\u00a0lima@example.com", wantErr: true},
		{name: "tab inside", raw: "ana\tlima@example.com", wantErr: true},
		{name: "NUL", raw: "ana\x00@example.com", wantErr: true},
		{name: "escape", raw: "ana\x1b@example.com", wantErr: true},
		{name: "DEL", raw: "ana\x7f@example.com", wantErr: true},
		{name: "C1 control", raw: "ana\u0085lima@example.com", wantErr: true},
		{name: "angle brackets", raw: "<ana@example.com>", wantErr: true},
		{name: "comma", raw: "ana,bo@example.com", wantErr: true},
		{name: "semicolon", raw: "ana;bo@example.com", wantErr: true},
		{name: "quote", raw: `"ana"@example.com`, wantErr: true},
		{name: "backslash", raw: `ana\@example.com`, wantErr: true},
		{name: "comment", raw: "ana(comment)@example.com", wantErr: true},
		{name: "brackets", raw: "ana@[192.0.2.1]", wantErr: true},
		{name: "colon", raw: "ana:bo@example.com", wantErr: true},
		{name: "only a combining mark", raw: "\u0301@example.com", wantErr: true},
		{name: "domain starts with a mark", raw: "ana@\u0308example.com", wantErr: true},
		{name: "mark after a letter is fine", raw: "ana\u0301@example.com", want: "an\u00e1@example.com"},
		{name: "invalid UTF-8", raw: "ana\xff@example.com", wantErr: true},
		{name: "truncated UTF-8", raw: "ana\xc3@example.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseEmail(tt.raw)

			if tt.wantErr {
				requireField(t, err, "email")
				assert.Equal(t, domain.Email{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Address)
			assert.True(t, norm.NFC.IsNormalString(got.Address))
			assert.Equal(t, domain.EmailKey(got.Address), got.Key)
		})
	}
}

func TestParseEmailLengthBoundaryIsCodePoints(t *testing.T) {
	addr := strings.Repeat("é", 64) + "@" + hostOf(254-64-1)
	require.Equal(t, domain.MaxEmailLength, utf8.RuneCountInString(addr))
	require.Greater(t, len(addr), domain.MaxEmailLength, "the boundary case must be longer in bytes")

	_, err := domain.ParseEmail(addr)

	assert.NoError(t, err)
}

func TestEmailKey(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{name: "case", a: "Ana@Example.COM", b: "ana@example.com", same: true},
		{name: "upper everything", a: "ANA@EXAMPLE.COM", b: "ana@example.com", same: true},
		{name: "surrounding space", a: "  ana@example.com\n", b: "ana@example.com", same: true},
		{name: "NFC and NFD", a: "jos\u00e9@example.com", b: "jose\u0301@example.com", same: true},
		{name: "NFD upper and NFC lower", a: "JOSE\u0301@EXAMPLE.COM", b: "jos\u00e9@example.com", same: true},
		{name: "sharp s and ss", a: "straße@example.de", b: "strasse@example.de", same: true},
		{name: "capital sharp s and small", a: "STRAẞE@example.de", b: "straße@example.de", same: true},
		{name: "capital sharp s and SS", a: "STRAẞE@example.de", b: "STRASSE@example.de", same: true},
		{name: "Kelvin sign and k", a: "\u212aim@example.com", b: "kim@example.com", same: true},
		{name: "different local part", a: "ana@example.com", b: "ane@example.com"},
		{name: "different domain", a: "ana@example.com", b: "ana@example.org"},
		{name: "accent matters", a: "jose@example.com", b: "jos\u00e9@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := domain.EmailKey(tt.a), domain.EmailKey(tt.b)

			if tt.same {
				assert.Equal(t, ka, kb)
			} else {
				assert.NotEqual(t, ka, kb)
			}
			for _, k := range []string{ka, kb} {
				assert.True(t, norm.NFC.IsNormalString(k), "key %q is not NFC", k)
				assert.Equal(t, k, domain.EmailKey(k), "key %q is not stable", k)
			}
		})
	}
}

func TestEmailKeyTurkishDottedCapitalI(t *testing.T) {
	for _, addr := range []string{"İSTANBUL@example.com.tr", "istanbul@EXAMPLE.com.tr", "ı@example.com"} {
		t.Run(addr, func(t *testing.T) {
			var key string
			assert.NotPanics(t, func() { key = domain.EmailKey(addr) })

			assert.NotEmpty(t, key)
			assert.True(t, norm.NFC.IsNormalString(key))
			assert.Equal(t, key, domain.EmailKey(key))
		})
	}
}

func TestParseEmailKeyMatchesAcrossSpellings(t *testing.T) {
	a, err := domain.ParseEmail("Jose\u0301@Example.COM")
	require.NoError(t, err)
	b, err := domain.ParseEmail("  jos\u00e9@example.com ")
	require.NoError(t, err)

	assert.NotEqual(t, a.Address, b.Address)
	assert.Equal(t, a.Key, b.Key)
}

func TestParseName(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    string
		wantErr bool
	}{
		{name: "plain", raw: "Ana Lima", want: "Ana Lima"},
		{name: "empty", raw: "", want: ""},
		{name: "only spaces", raw: " \t\n ", want: ""},
		{name: "trimmed", raw: "  Ana Lima \t\r\n", want: "Ana Lima"},
		{name: "NFD becomes NFC", raw: "Jose\u0301", want: "Jos\u00e9"},
		{name: "unicode", raw: "Łukasz Żółć 李雷", want: "Łukasz Żółć 李雷"},
		{name: "100 code points", raw: strings.Repeat("ñ", 100), want: strings.Repeat("ñ", 100)},
		{name: "100 CJK code points", raw: strings.Repeat("李", 100), want: strings.Repeat("李", 100)},
		{name: "100 after NFC", raw: strings.Repeat("n\u0303", 100), want: strings.Repeat("ñ", 100)},
		{name: "100 after trim", raw: "  " + strings.Repeat("ñ", 100) + "  ", want: strings.Repeat("ñ", 100)},
		{name: "101 code points", raw: strings.Repeat("ñ", 101), wantErr: true},
		{name: "101 ASCII", raw: strings.Repeat("n", 101), wantErr: true},
		{name: "tab inside", raw: "Ana\tLima", wantErr: true},
		{name: "newline inside", raw: "Ana\nLima", wantErr: true},
		{name: "escape", raw: "Ana\x1b[31mLima", wantErr: true},
		{name: "NUL", raw: "Ana\x00", wantErr: true},
		{name: "DEL", raw: "Ana\x7fLima", wantErr: true},
		{name: "C1 control", raw: "Ana\u009bLima", wantErr: true},
		{name: "invalid UTF-8", raw: "Ana\xffLima", wantErr: true},
		{name: "surrogate half", raw: "Ana\xed\xa0\x80", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseName(tt.raw)

			if tt.wantErr {
				requireField(t, err, "name")
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestUserCanAuthenticate(t *testing.T) {
	deleted := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		user domain.User
		want bool
	}{
		{name: "active", user: domain.User{Status: domain.StatusActive}, want: true},
		{name: "disabled", user: domain.User{Status: domain.StatusDisabled}},
		{name: "active but deleted", user: domain.User{Status: domain.StatusActive, DeletedAt: &deleted}},
		{name: "disabled and deleted", user: domain.User{Status: domain.StatusDisabled, DeletedAt: &deleted}},
		{name: "no status", user: domain.User{}},
		{name: "unknown status", user: domain.User{Status: "Active"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.user.CanAuthenticate())
		})
	}
}

func TestStatusValid(t *testing.T) {
	tests := []struct {
		status domain.Status
		want   bool
	}{
		{status: domain.StatusActive, want: true},
		{status: domain.StatusDisabled, want: true},
		{status: ""},
		{status: "Active"},
		{status: "ACTIVE"},
		{status: "deleted"},
		{status: " active"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.status), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.status.Valid())
		})
	}
}

// The tests below cover errors.go, which has no test file of its own.

func TestErrorMatchesItsKind(t *testing.T) {
	kinds := []error{
		domain.ErrNotFound,
		domain.ErrConflict,
		domain.ErrInvalidCredentials,
		domain.ErrUnauthenticated,
		domain.ErrForbidden,
		domain.ErrInvalid,
	}
	for _, kind := range kinds {
		t.Run(kind.Error(), func(t *testing.T) {
			err := domain.NewError(kind, "some_code", "user %s: %d", "ana", 7)
			wrapped := fmt.Errorf("use case: %w", err)

			assert.ErrorIs(t, err, kind)
			assert.ErrorIs(t, wrapped, kind)
			for _, other := range kinds {
				if other != kind {
					assert.NotErrorIs(t, wrapped, other)
				}
			}
			var de *domain.Error
			require.ErrorAs(t, wrapped, &de)
			assert.Equal(t, "some_code", de.Code)
			assert.Equal(t, "user ana: 7", de.Detail)
			assert.Equal(t, "user ana: 7", err.Error())
			assert.Same(t, kind, de.Unwrap())
		})
	}
}

func TestValidationError(t *testing.T) {
	tests := []struct {
		name   string
		fields [][2]string
		want   string
	}{
		{
			name:   "one field",
			fields: [][2]string{{"email", "is required"}},
			want:   "invalid input: email: is required",
		},
		{
			name:   "two fields",
			fields: [][2]string{{"email", "is required"}, {"password", "is too short"}},
			want:   "invalid input: email: is required; password: is too short",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ve domain.ValidationError
			for _, f := range tt.fields {
				ve.Add(f[0], f[1])
			}

			err := ve.Err()
			require.Error(t, err)
			wrapped := fmt.Errorf("register: %w", err)

			assert.Equal(t, tt.want, err.Error())
			assert.ErrorIs(t, wrapped, domain.ErrInvalid)
			assert.NotErrorIs(t, wrapped, domain.ErrConflict)
			var got *domain.ValidationError
			require.ErrorAs(t, wrapped, &got)
			require.Len(t, got.Fields, len(tt.fields))
			for i, f := range tt.fields {
				assert.Equal(t, domain.FieldError{Field: f[0], Message: f[1]}, got.Fields[i])
			}
			var de *domain.Error
			assert.False(t, errors.As(wrapped, &de), "a validation error is not an *Error")
		})
	}
}

func TestValidationErrorErrNilWhenEmpty(t *testing.T) {
	var nilPtr *domain.ValidationError
	tests := []struct {
		name string
		ve   *domain.ValidationError
	}{
		{name: "nil pointer", ve: nilPtr},
		{name: "zero value", ve: &domain.ValidationError{}},
		{name: "empty slice", ve: &domain.ValidationError{Fields: []domain.FieldError{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ve.Err()

			// An interface holding a typed nil would not compare equal to nil.
			assert.True(t, err == nil, "Err() = %#v, want untyped nil", err)
		})
	}
}

func TestInvalid(t *testing.T) {
	err := domain.Invalid("name", "is too long")

	requireField(t, err, "name")
	assert.Equal(t, "invalid input: name: is too long", err.Error())
}
