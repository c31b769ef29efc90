package domain_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/domain"
)

func TestPasswordPolicyCheck(t *testing.T) {
	const field = "new_password"
	tests := []struct {
		name    string
		policy  domain.PasswordPolicy
		pw      string
		email   string
		wantMsg string // empty when the password is acceptable
	}{
		{name: "7 characters", pw: "xkcdqzw", wantMsg: "at least 8"},
		{name: "8 characters", pw: "xkcdqzwv"},
		{name: "empty", pw: "", wantMsg: "at least 8"},
		{name: "7 two-byte characters", pw: "żółwżół", wantMsg: "at least 8"},
		{name: "8 two-byte characters", pw: "żółwżółw"},
		{name: "4 four-byte characters are 16 bytes", pw: "🐢🐢🐢🐢", wantMsg: "at least 8"},
		{name: "MinLength 12 refuses 11", policy: domain.PasswordPolicy{MinLength: 12}, pw: "xkcdqzwvbnm", wantMsg: "at least 12"},
		{name: "MinLength 12 accepts 12", policy: domain.PasswordPolicy{MinLength: 12}, pw: "xkcdqzwvbnmj"},
		{name: "MinLength 4 is treated as 8", policy: domain.PasswordPolicy{MinLength: 4}, pw: "xkcdqzw", wantMsg: "at least 8"},
		{name: "MinLength 4 accepts 8", policy: domain.PasswordPolicy{MinLength: 4}, pw: "xkcdqzwv"},
		{name: "negative MinLength is treated as 8", policy: domain.PasswordPolicy{MinLength: -1}, pw: "xkcd", wantMsg: "at least 8"},
		{name: "256 code points", pw: strings.Repeat("ł", 256)},
		{name: "257 code points", pw: strings.Repeat("ł", 257), wantMsg: "at most 256"},
		{name: "257 ASCII", pw: strings.Repeat("x", 257), wantMsg: "at most 256"},
		{name: "common", pw: "password1", wantMsg: "too common"},
		{name: "common upper case", pw: "PASSWORD1", wantMsg: "too common"},
		{name: "common mixed case", pw: "PassWord1", wantMsg: "too common"},
		{name: "common digits", pw: "123456789", wantMsg: "too common"},
		{name: "common eight digits", pw: "12345678", wantMsg: "too common"},
		{name: "common word", pw: "Computer", wantMsg: "too common"},
		{name: "common but too short says too short", pw: "qwerty", wantMsg: "at least 8"},
		{name: "email", pw: "ana.lima@example.com", email: "ana.lima@example.com", wantMsg: "email"},
		{name: "email other case", pw: "ANA.LIMA@example.com", email: "Ana.Lima@Example.COM", wantMsg: "email"},
		{name: "email other normal form", pw: "jose\u0301@example.com", email: "jos\u00e9@example.com", wantMsg: "email"},
		{name: "email with a suffix is fine", pw: "ana.lima@example.com!", email: "ana.lima@example.com"},
		{name: "no email to compare", pw: "ana.lima@example.com", email: ""},
		{name: "invalid UTF-8", pw: "xkcdqzwv\xff", wantMsg: "UTF-8"},
		{name: "invalid UTF-8 and short", pw: "\xff\xfe", wantMsg: "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(field, tt.pw, tt.email)

			if tt.wantMsg == "" {
				assert.NoError(t, err)
				return
			}
			requireField(t, err, field)
			var ve *domain.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, ve.Fields[0].Message, tt.wantMsg)
		})
	}
}

func TestPasswordPolicyCheckNamesTheGivenField(t *testing.T) {
	for _, field := range []string{"password", "new_password", "admin_password"} {
		t.Run(field, func(t *testing.T) {
			err := domain.PasswordPolicy{}.Check(field, "short", "")

			requireField(t, err, field)
		})
	}
}

func TestIsCommonPassword(t *testing.T) {
	tests := []struct {
		pw   string
		want bool
	}{
		{pw: "123456", want: true},
		{pw: "password", want: true},
		{pw: "PASSWORD", want: true},
		{pw: "PASSWORD1", want: true},
		{pw: "123456789", want: true},
		{pw: "qwerty", want: true},
		{pw: "letmein", want: true},
		{pw: "trustno1", want: true},
		{pw: "iloveyou", want: true},
		// Listed with capitals in the file.
		{pw: "Anthony", want: true},
		{pw: "anthony", want: true},
		// The file's last entry, so the whole file was read.
		{pw: "sss", want: true},
		{pw: ""},
		{pw: " password"},
		{pw: "password "},
		{pw: "correct horse battery staple"},
		{pw: "xkcdqzwv"},
		// The list's notice is not a password.
		{pw: "#!comment:"},
		{pw: "#!comment: This list has been compiled by Solar Designer of Openwall Project"},
		{pw: "#!comment: For more wordlists, see http://www.openwall.com/wordlists/"},
	}
	for _, tt := range tests {
		t.Run(tt.pw, func(t *testing.T) {
			assert.Equal(t, tt.want, domain.IsCommonPassword(tt.pw))
		})
	}
}
