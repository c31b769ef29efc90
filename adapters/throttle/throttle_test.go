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

func TestBlocksAfterMaxAttemptsAndRefills(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(5, 15*time.Minute, c.now)

	for i := 0; i < 5; i++ {
		blocked, _ := l.Blocked("a")
		require.False(t, blocked, "attempt %d", i+1)
		l.Record("a")
	}
	blocked, wait := l.Blocked("a")
	assert.True(t, blocked)
	assert.InDelta(t, (3 * time.Minute).Seconds(), wait.Seconds(), 1)

	other, _ := l.Blocked("b")
	assert.False(t, other, "keys are counted apart")

	c.t = c.t.Add(3 * time.Minute)
	blocked, _ = l.Blocked("a")
	assert.False(t, blocked, "one attempt refilled")
	l.Record("a")
	blocked, _ = l.Blocked("a")
	assert.True(t, blocked)

	l.Reset("a")
	blocked, _ = l.Blocked("a")
	assert.False(t, blocked)
}

func TestSweepBoundsMemory(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(2, time.Minute, c.now)
	for i := 0; i < maxKeys+10; i++ {
		c.t = c.t.Add(time.Millisecond)
		l.Record(strconv.Itoa(i))
	}
	assert.LessOrEqual(t, len(l.bucket), maxKeys)
}
