package hashing

import (
	"bytes"
	"context"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// tinyParams keep the tests fast; they are far too weak for real use.
func tinyParams() Params {
	return Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, MaxConcurrent: 4}
}

func newHasher(t testing.TB, p Params) *Argon2id {
	t.Helper()
	h, err := NewArgon2id(p)
	require.NoError(t, err)
	return h
}

// encode builds an argon2id hash with the given params and salt and key
// lengths; its key matches no password.
func encode(m, t uint32, p uint8, saltLen, keyLen int) string {
	return phc{
		memory:  m,
		time:    t,
		threads: p,
		salt:    bytes.Repeat([]byte{0x5a}, saltLen),
		key:     bytes.Repeat([]byte{0xa5}, keyLen),
	}.String()
}

// bcryptHash returns a bcrypt hash of pw at the cheapest cost.
func bcryptHash(t testing.TB, pw string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	require.NoError(t, err)
	return string(b)
}

var phcPattern = regexp.MustCompile(
	`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()

	assert.Equal(t, uint32(19456), p.MemoryKiB)
	assert.Equal(t, uint32(2), p.Iterations)
	assert.Equal(t, uint8(1), p.Parallelism)
	assert.Equal(t, max(runtime.NumCPU(), 1), p.MaxConcurrent)

	// The one test that pays for the real cost.
	h := newHasher(t, p)
	encoded, err := h.Hash(context.Background(), "correct horse battery staple")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$"), encoded)
	assert.False(t, h.NeedsRehash(encoded))
}

func TestNewArgon2idValidates(t *testing.T) {
	tests := []struct {
		name    string
		modify  func(*Params)
		wantMsg string
	}{
		{"zero memory", func(p *Params) { p.MemoryKiB = 0 }, "memory must be at least 8 KiB"},
		{
			"memory below 8 KiB per lane",
			func(p *Params) { p.MemoryKiB, p.Parallelism = 31, 4 },
			"memory must be at least 8 KiB per lane (32 KiB), got 31 KiB",
		},
		{"memory above 4 GiB", func(p *Params) { p.MemoryKiB = 4<<20 + 1 }, "at most 4194304 KiB"},
		{"zero iterations", func(p *Params) { p.Iterations = 0 }, "iterations must be between"},
		{"too many iterations", func(p *Params) { p.Iterations = 101 }, "got 101"},
		{"zero parallelism", func(p *Params) { p.Parallelism = 0 }, "parallelism must be at least 1"},
		{"zero max concurrent", func(p *Params) { p.MaxConcurrent = 0 }, "max concurrent"},
		{"negative max concurrent", func(p *Params) { p.MaxConcurrent = -3 }, "got -3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tinyParams()
			tt.modify(&p)

			h, err := NewArgon2id(p)

			assert.Nil(t, h)
			require.ErrorIs(t, err, ErrInvalidParams)
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}

	t.Run("every problem is listed", func(t *testing.T) {
		_, err := NewArgon2id(Params{})
		require.ErrorIs(t, err, ErrInvalidParams)
		for _, want := range []string{"parallelism", "memory", "iterations", "max concurrent"} {
			assert.Contains(t, err.Error(), want)
		}
	})

	t.Run("smallest valid params", func(t *testing.T) {
		_, err := NewArgon2id(Params{
			MemoryKiB: 16, Iterations: 1, Parallelism: 2, MaxConcurrent: 1,
		})
		assert.NoError(t, err)
	})
}

func TestHashVerifyRoundTrip(t *testing.T) {
	h := newHasher(t, tinyParams())
	ctx := context.Background()
	tests := []struct {
		name string
		pw   string
	}{
		{"ascii", "correct horse battery staple"},
		{"empty", ""},
		{"unicode", "pässwörd 密码 🔑"},
		{"longer than bcrypt allows", strings.Repeat("x", 200)},
		{"nul bytes", "a\x00b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded, err := h.Hash(ctx, tt.pw)
			require.NoError(t, err)
			assert.Regexp(t, phcPattern, encoded)

			ok, err := h.Verify(ctx, tt.pw, encoded)
			require.NoError(t, err)
			assert.True(t, ok, "right password")

			ok, err = h.Verify(ctx, tt.pw+"!", encoded)
			require.NoError(t, err)
			assert.False(t, ok, "wrong password")

			assert.False(t, h.NeedsRehash(encoded))
		})
	}
}

func TestHashIsSalted(t *testing.T) {
	h := newHasher(t, tinyParams())
	ctx := context.Background()

	a, err := h.Hash(ctx, "same password")
	require.NoError(t, err)
	b, err := h.Hash(ctx, "same password")
	require.NoError(t, err)

	assert.NotEqual(t, a, b)
	assert.NotEqual(t, strings.Split(a, "$")[4], strings.Split(b, "$")[4], "salts")
	for _, encoded := range []string{a, b} {
		ok, err := h.Verify(ctx, "same password", encoded)
		require.NoError(t, err)
		assert.True(t, ok)
	}
}

func TestVerifyUsesStoredParams(t *testing.T) {
	ctx := context.Background()
	old := newHasher(t, Params{MemoryKiB: 32, Iterations: 2, Parallelism: 2, MaxConcurrent: 1})
	encoded, err := old.Hash(ctx, "pw")
	require.NoError(t, err)

	h := newHasher(t, tinyParams())
	ok, err := h.Verify(ctx, "pw", encoded)

	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, h.NeedsRehash(encoded))
}

func TestVerifyBcrypt(t *testing.T) {
	h := newHasher(t, tinyParams())
	ctx := context.Background()
	encoded := bcryptHash(t, "hunter2")
	require.True(t, strings.HasPrefix(encoded, "$2a$"), encoded)

	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		t.Run(prefix, func(t *testing.T) {
			e := prefix + strings.TrimPrefix(encoded, "$2a$")

			ok, err := h.Verify(ctx, "hunter2", e)
			require.NoError(t, err)
			assert.True(t, ok, "right password")

			ok, err = h.Verify(ctx, "hunter3", e)
			require.NoError(t, err)
			assert.False(t, ok, "wrong password")

			assert.True(t, h.NeedsRehash(e))
		})
	}
}

func TestVerifyBcryptLongPassword(t *testing.T) {
	h := newHasher(t, tinyParams())
	ctx := context.Background()
	pw72 := strings.Repeat("a", 72)
	encoded := bcryptHash(t, pw72)

	ok, err := h.Verify(ctx, pw72, encoded)
	require.NoError(t, err)
	require.True(t, ok, "72 bytes is still within bcrypt's limit")

	// bcrypt itself would call these a match: it reads 72 bytes only.
	for _, pw := range []string{pw72 + "b", pw72 + strings.Repeat("z", 1000)} {
		ok, err := h.Verify(ctx, pw, encoded)
		assert.NoError(t, err)
		assert.False(t, ok, "%d-byte password", len(pw))
	}
}

type malformedCase struct {
	name    string
	encoded string
	wantErr error
}

// malformedCases are stored hashes that Verify must refuse. They also seed
// FuzzVerify.
func malformedCases(t testing.TB) []malformedCase {
	valid := encode(64, 1, 1, 16, 32)
	fields := strings.Split(valid, "$")
	salt, key := fields[4], fields[5]
	with := func(params string) string {
		return "$argon2id$v=19$" + params + "$" + salt + "$" + key
	}
	bcryptValid := bcryptHash(t, "pw")
	bcryptCost := func(cost string) string {
		return strings.Replace(bcryptValid, "$04$", "$"+cost+"$", 1)
	}

	return []malformedCase{
		{"empty", "", ErrMalformedHash},
		{"garbage", "not a hash at all", ErrMalformedHash},
		{"lone dollar", "$", ErrMalformedHash},
		{"upper case scheme", strings.ToUpper(valid), ErrMalformedHash},
		{"scheme only", "$argon2id", ErrMalformedHash},
		{"missing key", "$argon2id$v=19$m=64,t=1,p=1$" + salt, ErrMalformedHash},
		{"missing version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key, ErrMalformedHash},
		{"trailing dollar", valid + "$", ErrMalformedHash},
		{"extra field", valid + "$" + key, ErrMalformedHash},
		{"version 18", strings.Replace(valid, "v=19", "v=18", 1), ErrUnsupportedHash},
		{"version 16", strings.Replace(valid, "v=19", "v=16", 1), ErrUnsupportedHash},
		{"version leading zero", strings.Replace(valid, "v=19", "v=019", 1), ErrMalformedHash},
		{"version not a number", strings.Replace(valid, "v=19", "v=x", 1), ErrMalformedHash},
		{"params out of order", with("t=1,m=64,p=1"), ErrMalformedHash},
		{"missing p", with("m=64,t=1"), ErrMalformedHash},
		{"empty m", with("m=,t=1,p=1"), ErrMalformedHash},
		{"extra param", with("m=64,t=1,p=1,keyid=abc"), ErrMalformedHash},
		{"spaces", with("m=64, t=1, p=1"), ErrMalformedHash},
		{"negative m", with("m=-64,t=1,p=1"), ErrMalformedHash},
		{"signed m", with("m=+64,t=1,p=1"), ErrMalformedHash},
		{"leading zero", with("m=064,t=1,p=1"), ErrMalformedHash},
		{"hex m", with("m=0x40,t=1,p=1"), ErrMalformedHash},
		{"overlong m", with("m=99999999999999999999,t=1,p=1"), ErrMalformedHash},
		{"huge m", with("m=4194305,t=1,p=1"), ErrParamsOutOfRange},
		{"m beyond uint32", with("m=4294967296,t=1,p=1"), ErrParamsOutOfRange},
		{"m below 8 per lane", with("m=15,t=1,p=2"), ErrParamsOutOfRange},
		{"zero t", with("m=64,t=0,p=1"), ErrParamsOutOfRange},
		{"huge t", with("m=64,t=101,p=1"), ErrParamsOutOfRange},
		{"zero p", with("m=64,t=1,p=0"), ErrParamsOutOfRange},
		{"p beyond uint8", with("m=4096,t=1,p=256"), ErrParamsOutOfRange},
		{"bad base64 salt", "$argon2id$v=19$m=64,t=1,p=1$!!!!!!!!$" + key, ErrMalformedHash},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key, ErrMalformedHash},
		{"url alphabet key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$-_" + key[2:],
			ErrMalformedHash},
		{"non-canonical base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:21] + "b$" + key,
			ErrMalformedHash},
		{"short salt", encode(64, 1, 1, 7, 32), ErrParamsOutOfRange},
		{"huge salt", encode(64, 1, 1, 1025, 32), ErrParamsOutOfRange},
		{"empty key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$", ErrParamsOutOfRange},
		{"huge key", encode(64, 1, 1, 16, 1025), ErrParamsOutOfRange},
		{"too long", encode(64, 1, 1, 16, 32) + strings.Repeat("A", 5000), ErrMalformedHash},
		{"argon2i", strings.Replace(valid, "argon2id", "argon2i", 1), ErrUnsupportedHash},
		{"argon2d", strings.Replace(valid, "argon2id", "argon2d", 1), ErrUnsupportedHash},
		{"scrypt", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4",
			ErrUnsupportedHash},
		{"bcrypt 2x", strings.Replace(bcryptValid, "$2a$", "$2x$", 1), ErrUnsupportedHash},
		{"bcrypt truncated", bcryptValid[:20], ErrMalformedHash},
		{"bcrypt bad cost", bcryptCost("xx"), ErrMalformedHash},
		{"bcrypt cost above 31", bcryptCost("32"), ErrMalformedHash},
		{"bcrypt costly", bcryptCost("17"), ErrParamsOutOfRange},
	}
}

func TestVerifyRefusesMalformed(t *testing.T) {
	h := newHasher(t, tinyParams())
	for _, tt := range malformedCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			var (
				ok  bool
				err error
			)
			require.NotPanics(t, func() {
				ok, err = h.Verify(context.Background(), "pw", tt.encoded)
			})

			assert.False(t, ok)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.True(t, h.NeedsRehash(tt.encoded))
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	h := newHasher(t, Params{MemoryKiB: 64, Iterations: 2, Parallelism: 2, MaxConcurrent: 1})
	tests := []struct {
		name    string
		encoded string
		want    bool
	}{
		{"same params", encode(64, 2, 2, 16, 32), false},
		{"more memory", encode(128, 2, 2, 16, 32), false},
		{"more iterations", encode(64, 3, 2, 16, 32), false},
		{"longer salt", encode(64, 2, 2, 32, 32), false},
		{"less memory", encode(32, 2, 2, 16, 32), true},
		{"fewer iterations", encode(64, 1, 2, 16, 32), true},
		{"fewer lanes", encode(64, 2, 1, 16, 32), true},
		{"more lanes", encode(64, 2, 4, 16, 32), true},
		{"shorter key", encode(64, 2, 2, 16, 16), true},
		{"longer key", encode(64, 2, 2, 16, 64), true},
		{"shorter salt", encode(64, 2, 2, 8, 32), true},
		{"bcrypt", bcryptHash(t, "pw"), true},
		{"garbage", "garbage", true},
		{"empty", "", true},
		{"out of range", encode(64, 101, 2, 16, 32), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, h.NeedsRehash(tt.encoded))
		})
	}

	t.Run("own hash", func(t *testing.T) {
		encoded, err := h.Hash(context.Background(), "pw")
		require.NoError(t, err)
		assert.False(t, h.NeedsRehash(encoded))
	})
}

// FuzzVerify checks that Verify and NeedsRehash survive any stored hash and
// agree with each other.
func FuzzVerify(f *testing.F) {
	h := newHasher(f, tinyParams())
	// Keep what a mutated hash may ask for cheap enough to fuzz.
	h.limits = limits{maxMemoryKiB: 1024, maxIterations: 4, maxBcryptCost: bcrypt.MinCost}

	good, err := h.Hash(context.Background(), "pw")
	require.NoError(f, err)
	f.Add("pw", good)
	f.Add("pw", bcryptHash(f, "pw"))
	for _, c := range malformedCases(f) {
		f.Add("pw", c.encoded)
	}

	f.Fuzz(func(t *testing.T, pw, encoded string) {
		var (
			ok     bool
			err    error
			rehash bool
		)
		require.NotPanics(t, func() {
			ok, err = h.Verify(context.Background(), pw, encoded)
			rehash = h.NeedsRehash(encoded)
		})

		if err != nil {
			assert.False(t, ok, "an error with a match")
		}
		if !rehash {
			assert.NoError(t, err, "a current hash that cannot be verified")
		}
	})
}

func BenchmarkHashDefault(b *testing.B) {
	p := DefaultParams()
	h := newHasher(b, p)
	ctx := context.Background()

	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
