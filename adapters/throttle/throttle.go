// Package throttle counts attempts per key in memory with token buckets
// from golang.org/x/time/rate.
package throttle

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"auth-service/ports"
)

// maxKeys bounds memory: past it, keys whose bucket has refilled are
// forgotten, and if that frees nothing the oldest half goes.
const maxKeys = 100_000

// Limiter lets each key make Max attempts, refilled evenly over Window:
// after Max quick failures a key waits Window/Max for the next try.
//
// TODO(#3): the counts live in one process; behind a load balancer each
// instance counts on its own, so the effective limit is Max per instance.
type Limiter struct {
	mu     sync.Mutex
	max    int
	every  time.Duration
	now    func() time.Time
	bucket map[string]*entry
}

type entry struct {
	lim  *rate.Limiter
	seen time.Time
}

var _ ports.Throttle = (*Limiter)(nil)

// New returns a limiter of max attempts per window; now is the clock.
func New(max int, window time.Duration, now func() time.Time) *Limiter {
	if max < 1 {
		max = 1
	}
	return &Limiter{
		max:    max,
		every:  window / time.Duration(max),
		now:    now,
		bucket: map[string]*entry{},
	}
}

func (l *Limiter) get(key string, now time.Time) *entry {
	e, ok := l.bucket[key]
	if !ok {
		if len(l.bucket) >= maxKeys {
			l.sweep(now)
		}
		e = &entry{lim: rate.NewLimiter(rate.Every(l.every), l.max)}
		l.bucket[key] = e
	}
	e.seen = now
	return e
}

// sweep forgets full buckets, or failing that the least recently seen half.
func (l *Limiter) sweep(now time.Time) {
	for k, e := range l.bucket {
		if e.lim.TokensAt(now) >= float64(l.max) {
			delete(l.bucket, k)
		}
	}
	if len(l.bucket) < maxKeys {
		return
	}
	cutoff := now
	for _, e := range l.bucket {
		if e.seen.Before(cutoff) {
			cutoff = e.seen
		}
	}
	mid := cutoff.Add(now.Sub(cutoff) / 2)
	for k, e := range l.bucket {
		if e.seen.Before(mid) {
			delete(l.bucket, k)
		}
	}
}

// Blocked reports whether key has no attempt left, and how long until it
// has one.
func (l *Limiter) Blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e, ok := l.bucket[key]
	if !ok {
		return false, 0
	}
	tokens := e.lim.TokensAt(now)
	if tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - tokens) * float64(l.every))
}

// Record spends one attempt of key.
func (l *Limiter) Record(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.get(key, now).lim.AllowN(now, 1)
}

// Reset gives key all its attempts back.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.bucket, key)
}
