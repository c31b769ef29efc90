package throttle

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestMaxAttemptsPerWindow(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(5, 15*time.Minute, c.now)

	for i := 0; i < 5; i++ {
		blocked, _ := l.Blocked("a")
		require.False(t, blocked, "attempt %d", i+1)
		l.Record("a")
		c.t = c.t.Add(time.Minute)
	}
	blocked, wait := l.Blocked("a")
	assert.True(t, blocked)
	assert.Equal(t, 10*time.Minute, wait, "until the first attempt is 15 minutes old")

	other, _ := l.Blocked("b")
	assert.False(t, other, "keys are counted apart")

	c.t = c.t.Add(10 * time.Minute)
	blocked, _ = l.Blocked("a")
	assert.False(t, blocked, "the oldest attempt left the window")
	l.Record("a")
	blocked, _ = l.Blocked("a")
	assert.True(t, blocked, "five inside the window again")

	l.Reset("a")
	blocked, _ = l.Blocked("a")
	assert.False(t, blocked)
}

// Never more than Max attempts inside any window, however they are spread.
func TestNoWindowHoldsMoreThanMax(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(5, 15*time.Minute, c.now)
	var allowed []time.Time
	for i := 0; i < 600; i++ { // one try every 30 s for 5 hours
		if blocked, _ := l.Blocked("k"); !blocked {
			l.Record("k")
			allowed = append(allowed, c.t)
		}
		c.t = c.t.Add(30 * time.Second)
	}
	for i := range allowed {
		n := 0
		for _, a := range allowed[i:] {
			if a.Sub(allowed[i]) < 15*time.Minute {
				n++
			}
		}
		require.LessOrEqual(t, n, 5, "window starting %s", allowed[i])
	}
	assert.Greater(t, len(allowed), 5, "attempts come back as time passes")
}

func TestSweepBoundsMemory(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(2, time.Minute, c.now)
	for i := 0; i < maxKeys+10; i++ {
		c.t = c.t.Add(time.Millisecond)
		l.Record(strconv.Itoa(i))
	}
	assert.LessOrEqual(t, len(l.seen), maxKeys)
}
