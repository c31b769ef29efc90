// Package throttle counts attempts per key in memory over a sliding
// window.
package throttle

import (
	"sync"
	"time"

	"auth-service/ports"
)

// maxKeys bounds memory: past it, keys with no attempt inside the window
// are forgotten, and if that frees nothing the least recently seen half.
const maxKeys = 100_000

// Limiter lets each key make Max attempts within any Window: the attempt
// after the Max-th waits until the oldest of them leaves the window. It
// keeps at most Max times per key.
//
// TODO(#3): the counts live in one process; behind a load balancer each
// instance counts on its own, so the effective limit is Max per instance.
type Limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	seen   map[string][]time.Time // oldest first, all inside the window
}

var _ ports.Throttle = (*Limiter)(nil)

// New returns a limiter of limit attempts per window; now is the clock.
//
// golang.org/x/time/rate was the first choice, but a token bucket refills
// continuously: with 5 per 15 minutes it lets about 9 failures through in
// 15 minutes, where the contract says 5.
func New(limit int, window time.Duration, now func() time.Time) *Limiter {
	return &Limiter{max: max(limit, 1), window: window, now: now, seen: map[string][]time.Time{}}
}

// live drops the times of key that left the window and returns the rest.
func (l *Limiter) live(key string, now time.Time) []time.Time {
	times := l.seen[key]
	i := 0
	for i < len(times) && !times[i].After(now.Add(-l.window)) {
		i++
	}
	times = times[i:]
	if len(times) == 0 {
		delete(l.seen, key)
		return nil
	}
	l.seen[key] = times
	return times
}

// Blocked reports whether key used up its attempts in the window, and how
// long until the oldest of them leaves it.
func (l *Limiter) Blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	times := l.live(key, now)
	if len(times) < l.max {
		return false, 0
	}
	return true, times[len(times)-l.max].Add(l.window).Sub(now)
}

// Record counts one attempt of key.
func (l *Limiter) Record(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	times := l.live(key, now)
	if times == nil && len(l.seen) >= maxKeys {
		l.sweep(now)
	}
	times = append(times, now)
	if len(times) > l.max {
		times = times[len(times)-l.max:]
	}
	l.seen[key] = times
}

// Reset forgets key.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen, key)
}

// sweep forgets keys with nothing in the window, or failing that the half
// seen least recently.
func (l *Limiter) sweep(now time.Time) {
	for k := range l.seen {
		l.live(k, now)
	}
	if len(l.seen) < maxKeys {
		return
	}
	oldest := now
	for _, times := range l.seen {
		if last := times[len(times)-1]; last.Before(oldest) {
			oldest = last
		}
	}
	mid := oldest.Add(now.Sub(oldest) / 2)
	for k, times := range l.seen {
		if !times[len(times)-1].After(mid) {
			delete(l.seen, k)
		}
	}
}
