//go:build integration

package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/adapters/postgres"
	"auth-service/ports/fakes"
)

func TestThrottleCountsInsideTheWindow(t *testing.T) {
	ctx := t.Context()
	d := postgres.NewDB(migrated(t))
	clock := fakes.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := postgres.NewThrottle(d, "login", 5, 15*time.Minute, clock)

	for i := 0; i < 5; i++ {
		blocked, _, err := th.Blocked(ctx, "acct:a")
		require.NoError(t, err)
		require.False(t, blocked, "attempt %d", i+1)
		require.NoError(t, th.Record(ctx, "acct:a"))
		clock.Advance(time.Minute)
	}
	blocked, wait, err := th.Blocked(ctx, "acct:a")
	require.NoError(t, err)
	assert.True(t, blocked)
	assert.Equal(t, 10*time.Minute, wait, "until the first attempt is 15 minutes old")

	other, _, err := th.Blocked(ctx, "acct:b")
	require.NoError(t, err)
	assert.False(t, other, "keys are counted apart")
	sensitive := postgres.NewThrottle(d, "sensitive", 5, 15*time.Minute, clock)
	apart, _, err := sensitive.Blocked(ctx, "acct:a")
	require.NoError(t, err)
	assert.False(t, apart, "scopes are counted apart")

	// A second instance on the same database sees the same counts.
	twin := postgres.NewThrottle(d, "login", 5, 15*time.Minute, clock)
	shared, _, err := twin.Blocked(ctx, "acct:a")
	require.NoError(t, err)
	assert.True(t, shared)

	clock.Advance(10 * time.Minute)
	blocked, _, err = th.Blocked(ctx, "acct:a")
	require.NoError(t, err)
	assert.False(t, blocked, "the oldest attempt left the window")

	require.NoError(t, th.Reset(ctx, "acct:a"))
	require.NoError(t, th.Record(ctx, "acct:a"))
	blocked, _, err = th.Blocked(ctx, "acct:a")
	require.NoError(t, err)
	assert.False(t, blocked)
}

// Never more than the limit inside any window, however attempts come.
func TestThrottleNoWindowHoldsMoreThanTheLimit(t *testing.T) {
	ctx := t.Context()
	sqlDB := migrated(t)
	d := postgres.NewDB(sqlDB)
	clock := fakes.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := postgres.NewThrottle(d, "login", 5, 15*time.Minute, clock)
	var allowed []time.Time
	for i := 0; i < 240; i++ { // one try every 30 s for 2 hours
		blocked, _, err := th.Blocked(ctx, "k")
		require.NoError(t, err)
		if !blocked {
			require.NoError(t, th.Record(ctx, "k"))
			allowed = append(allowed, clock.Now())
		}
		clock.Advance(30 * time.Second)
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
	var rows int
	require.NoError(t, sqlDB.Get(&rows, `SELECT count(*) FROM attempts`))
	assert.LessOrEqual(t, rows, 5, "attempts that left the window are forgotten")
}
