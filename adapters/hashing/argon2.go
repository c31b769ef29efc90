// Package hashing stores passwords as argon2id hashes and still checks bcrypt.
package hashing

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"auth-service/ports"
)

// The shape of the hashes Hash makes.
const (
	saltLen = 16
	keyLen  = 32
)

// Bounds on what Verify will compute for a stored hash, and on the params
// NewArgon2id accepts, so that every hash made here can also be verified.
const (
	maxMemoryKiB   = 4 << 20 // 4 GiB
	maxIterations  = 100
	minSaltLen     = 8
	maxSaltLen     = 1024
	maxKeyLen      = 1024
	maxEncodedLen  = 4096
	maxBcryptCost  = 16
	bcryptMaxInput = 72
)

// b64 is the unpadded standard alphabet of the PHC string format. Strict
// refuses encodings whose unused trailing bits are not zero, so that each
// hash has one spelling only.
var b64 = base64.RawStdEncoding.Strict()

// Errors returned by this package, always wrapped with detail.
var (
	// ErrInvalidParams is returned by NewArgon2id for unusable Params.
	ErrInvalidParams = errors.New("hashing: invalid params")
	// ErrMalformedHash is returned by Verify for a stored hash it cannot
	// parse.
	ErrMalformedHash = errors.New("hashing: malformed hash")
	// ErrUnsupportedHash is returned by Verify for a well-formed hash of a
	// scheme or version this package does not check.
	ErrUnsupportedHash = errors.New("hashing: unsupported hash")
	// ErrParamsOutOfRange is returned by Verify for a stored hash whose cost
	// or sizes are outside the bounds it is willing to compute.
	ErrParamsOutOfRange = errors.New("hashing: hash parameters out of range")
)

// Params sets the cost of new hashes and how many may be computed at once.
type Params struct {
	// MemoryKiB is the argon2 memory size in KiB.
	MemoryKiB uint32
	// Iterations is the argon2 number of passes over the memory.
	Iterations uint32
	// Parallelism is the argon2 number of lanes.
	Parallelism uint8
	// MaxConcurrent caps the hash computations, from Hash and Verify
	// together, that run at the same time.
	MaxConcurrent int
}

// DefaultParams returns the OWASP recommendation for argon2id (19 MiB,
// two iterations, one lane) with one concurrent computation per CPU.
func DefaultParams() Params {
	return Params{
		MemoryKiB:     19456,
		Iterations:    2,
		Parallelism:   1,
		MaxConcurrent: max(runtime.NumCPU(), 1),
	}
}

// validate returns an error wrapping ErrInvalidParams that lists every
// problem with p, or nil.
func (p Params) validate() error {
	var problems []string
	if p.Parallelism < 1 {
		problems = append(problems, "parallelism must be at least 1")
	}
	if minMem := 8 * uint32(p.Parallelism); p.MemoryKiB < minMem || p.MemoryKiB < 8 {
		problems = append(problems, fmt.Sprintf(
			"memory must be at least 8 KiB per lane (%d KiB), got %d KiB",
			max(minMem, 8), p.MemoryKiB))
	}
	if p.MemoryKiB > maxMemoryKiB {
		problems = append(problems, fmt.Sprintf(
			"memory must be at most %d KiB, got %d KiB", maxMemoryKiB, p.MemoryKiB))
	}
	if p.Iterations < 1 || p.Iterations > maxIterations {
		problems = append(problems, fmt.Sprintf(
			"iterations must be between 1 and %d, got %d", maxIterations, p.Iterations))
	}
	if p.MaxConcurrent < 1 {
		problems = append(problems, fmt.Sprintf(
			"max concurrent must be at least 1, got %d", p.MaxConcurrent))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidParams, strings.Join(problems, "; "))
	}
	return nil
}

// limits bounds what Verify computes for a stored hash. It is a field
// rather than constants only so that the fuzz test can shrink it.
type limits struct {
	maxMemoryKiB  uint32
	maxIterations uint32
	maxBcryptCost int
}

// Argon2id is a ports.PasswordHasher that makes argon2id hashes in the PHC
// string format and verifies those and bcrypt hashes. It is safe for
// concurrent use.
type Argon2id struct {
	params Params
	limits limits
	// sem holds one token per running hash computation.
	sem chan struct{}
	// wrapCompute, when a test sets it, is called with each computation
	// while that computation holds its slot, and must call it once.
	wrapCompute func(compute func())
	// observe, when set, receives the duration of each computation.
	observe func(time.Duration)
}

// Observe makes the hasher report the duration of every hash computation
// to fn, for metrics. Call it before the hasher is shared.
func (h *Argon2id) Observe(fn func(time.Duration)) { h.observe = fn }

var _ ports.PasswordHasher = (*Argon2id)(nil)

// NewArgon2id returns a hasher that makes hashes with p. It returns an error
// wrapping ErrInvalidParams when memory is below 8 KiB per lane or above
// 4 GiB, iterations are outside 1 to 100, or parallelism or MaxConcurrent
// is below 1.
func NewArgon2id(p Params) (*Argon2id, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &Argon2id{
		params: p,
		limits: limits{
			maxMemoryKiB:  maxMemoryKiB,
			maxIterations: maxIterations,
			maxBcryptCost: maxBcryptCost,
		},
		sem: make(chan struct{}, p.MaxConcurrent),
	}, nil
}

// Hash returns the argon2id hash of pw, with a fresh random salt, in the
// form $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<key>. It
// waits for a free computation slot and returns ctx.Err() if ctx ends
// first, or an error when the system random source fails.
func (h *Argon2id) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hashing: reading salt: %w", err)
	}

	ph := phc{
		memory:  h.params.MemoryKiB,
		time:    h.params.Iterations,
		threads: h.params.Parallelism,
		salt:    salt,
	}
	err := h.run(ctx, func() {
		ph.key = argon2.IDKey([]byte(pw), salt, ph.time, ph.memory, ph.threads, keyLen)
	})
	if err != nil {
		return "", err
	}
	return ph.String(), nil
}

// Verify reports whether pw matches encoded, an argon2id hash in the PHC
// string format or a bcrypt hash ($2a$, $2b$ or $2y$). A mismatch is
// (false, nil); so is a password longer than 72 bytes against a bcrypt
// hash, since bcrypt would look only at its first 72 bytes. Verify returns
// an error wrapping ErrMalformedHash, ErrUnsupportedHash or
// ErrParamsOutOfRange when encoded cannot be checked, and ctx.Err() when
// ctx ends while it waits for a free computation slot.
func (h *Argon2id) Verify(ctx context.Context, pw, encoded string) (bool, error) {
	if isBcrypt(encoded) {
		return h.verifyBcrypt(ctx, pw, encoded)
	}

	ph, err := h.parse(encoded)
	if err != nil {
		return false, err
	}

	var key []byte
	err = h.run(ctx, func() {
		key = argon2.IDKey([]byte(pw), ph.salt, ph.time, ph.memory, ph.threads,
			uint32(len(ph.key)))
	})
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, ph.key) == 1, nil
}

// NeedsRehash reports whether encoded should be replaced by a new Hash: it
// is true for bcrypt hashes, for anything Verify would refuse, and for
// argon2id hashes with less memory, fewer iterations, another parallelism,
// another key length or a shorter salt than Hash uses now.
func (h *Argon2id) NeedsRehash(encoded string) bool {
	ph, err := h.parse(encoded)
	if err != nil {
		return true
	}
	return ph.memory < h.params.MemoryKiB ||
		ph.time < h.params.Iterations ||
		ph.threads != h.params.Parallelism ||
		len(ph.key) != keyLen ||
		len(ph.salt) < saltLen
}

// run calls compute once it holds a computation slot, and gives the slot
// back when compute returns. It returns ctx.Err(), without calling compute,
// when ctx ends first.
func (h *Argon2id) run(ctx context.Context, compute func()) error {
	// An ended context wins even when a slot is free.
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-h.sem }()

	if h.observe != nil {
		start := time.Now()
		defer func() { h.observe(time.Since(start)) }()
	}
	if h.wrapCompute != nil {
		h.wrapCompute(compute)
		return nil
	}
	compute()
	return nil
}

// isBcrypt reports whether encoded claims to be a bcrypt hash.
func isBcrypt(encoded string) bool {
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		if strings.HasPrefix(encoded, prefix) {
			return true
		}
	}
	return false
}

// verifyBcrypt is Verify for a hash that isBcrypt.
func (h *Argon2id) verifyBcrypt(ctx context.Context, pw, encoded string) (bool, error) {
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil {
		return false, fmt.Errorf("%w: bcrypt: %v", ErrMalformedHash, err)
	}
	if cost > h.limits.maxBcryptCost {
		return false, fmt.Errorf("%w: bcrypt cost %d is above %d",
			ErrParamsOutOfRange, cost, h.limits.maxBcryptCost)
	}
	// bcrypt ignores every byte after the 72nd, so a longer password would
	// match any password sharing its first 72 bytes. This x/crypto does not
	// refuse such passwords in CompareHashAndPassword; we do.
	if len(pw) > bcryptMaxInput {
		return false, nil
	}

	var cmpErr error
	err = h.run(ctx, func() {
		cmpErr = bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw))
	})
	if err != nil {
		return false, err
	}

	switch err := cmpErr; {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword),
		errors.Is(err, bcrypt.ErrPasswordTooLong):
		return false, nil
	default:
		return false, fmt.Errorf("%w: bcrypt: %v", ErrMalformedHash, err)
	}
}

// phc is a parsed argon2id hash.
type phc struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// String encodes ph in the PHC string format.
func (ph phc) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, ph.memory, ph.time, ph.threads,
		b64.EncodeToString(ph.salt), b64.EncodeToString(ph.key))
}

// parse reads an argon2id hash in exactly the form String writes, with any
// params, salt and key within h.limits. It returns an error wrapping
// ErrMalformedHash, ErrUnsupportedHash or ErrParamsOutOfRange.
func (h *Argon2id) parse(encoded string) (phc, error) {
	var ph phc
	if len(encoded) > maxEncodedLen {
		return ph, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxEncodedLen)
	}
	fields := strings.Split(encoded, "$")
	if len(fields) < 2 || fields[0] != "" || !isIdent(fields[1]) {
		return ph, fmt.Errorf("%w: not a $scheme$ string", ErrMalformedHash)
	}
	if fields[1] != "argon2id" {
		return ph, fmt.Errorf("%w: scheme %q", ErrUnsupportedHash, fields[1])
	}
	if len(fields) != 6 {
		return ph, fmt.Errorf("%w: want 5 $-separated fields, got %d",
			ErrMalformedHash, len(fields)-1)
	}

	version, ok := strings.CutPrefix(fields[2], "v=")
	if !ok {
		return ph, fmt.Errorf("%w: missing version", ErrMalformedHash)
	}
	v, err := parseDecimal(version)
	if err != nil {
		return ph, fmt.Errorf("%w: version: %v", ErrMalformedHash, err)
	}
	if v != argon2.Version {
		return ph, fmt.Errorf("%w: argon2 version %d", ErrUnsupportedHash, v)
	}

	if err := h.parseParams(fields[3], &ph); err != nil {
		return ph, err
	}

	if ph.salt, err = b64.DecodeString(fields[4]); err != nil {
		return ph, fmt.Errorf("%w: salt: %v", ErrMalformedHash, err)
	}
	if len(ph.salt) < minSaltLen || len(ph.salt) > maxSaltLen {
		return ph, fmt.Errorf("%w: salt of %d bytes, want %d to %d",
			ErrParamsOutOfRange, len(ph.salt), minSaltLen, maxSaltLen)
	}
	if ph.key, err = b64.DecodeString(fields[5]); err != nil {
		return ph, fmt.Errorf("%w: key: %v", ErrMalformedHash, err)
	}
	if len(ph.key) < 1 || len(ph.key) > maxKeyLen {
		return ph, fmt.Errorf("%w: key of %d bytes, want 1 to %d",
			ErrParamsOutOfRange, len(ph.key), maxKeyLen)
	}
	return ph, nil
}

// parseParams reads "m=<KiB>,t=<iterations>,p=<lanes>", in that order and
// with nothing else, into ph.
func (h *Argon2id) parseParams(s string, ph *phc) error {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return fmt.Errorf("%w: want params m,t,p, got %q", ErrMalformedHash, s)
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		digits, ok := strings.CutPrefix(parts[i], name+"=")
		if !ok {
			return fmt.Errorf("%w: want param %s in place %d, got %q",
				ErrMalformedHash, name, i+1, parts[i])
		}
		n, err := parseDecimal(digits)
		if err != nil {
			return fmt.Errorf("%w: param %s: %v", ErrMalformedHash, name, err)
		}
		vals[i] = n
	}
	m, t, p := vals[0], vals[1], vals[2]

	if p < 1 || p > 255 {
		return fmt.Errorf("%w: p=%d, want 1 to 255", ErrParamsOutOfRange, p)
	}
	if m < 8*p || m > uint64(h.limits.maxMemoryKiB) {
		return fmt.Errorf("%w: m=%d, want %d to %d",
			ErrParamsOutOfRange, m, 8*p, h.limits.maxMemoryKiB)
	}
	if t < 1 || t > uint64(h.limits.maxIterations) {
		return fmt.Errorf("%w: t=%d, want 1 to %d",
			ErrParamsOutOfRange, t, h.limits.maxIterations)
	}
	ph.memory, ph.time, ph.threads = uint32(m), uint32(t), uint8(p)
	return nil
}

// parseDecimal reads a PHC decimal: ASCII digits, no sign, no leading zero,
// at most ten digits so that it cannot overflow.
func parseDecimal(s string) (uint64, error) {
	switch {
	case s == "":
		return 0, errors.New("empty number")
	case len(s) > 10:
		return 0, errors.New("number too long")
	case len(s) > 1 && s[0] == '0':
		return 0, fmt.Errorf("number %q has a leading zero", s)
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("number %q is not decimal", s)
		}
	}
	return strconv.ParseUint(s, 10, 64)
}

// isIdent reports whether s is a PHC function name: 1 to 32 characters
// from [a-z0-9-].
func isIdent(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
