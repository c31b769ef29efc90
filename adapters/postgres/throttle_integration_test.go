//go:build integration

package postgres_test

import (
	"sync"
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
		wait, err := th.Take(ctx, "acct:a")
		require.NoError(t, err)
		require.Zero(t, wait, "attempt %d", i+1)
		clock.Advance(time.Minute)
	}
	wait, err := th.Take(ctx, "acct:a")
	require.NoError(t, err)
	assert.Equal(t, 10*time.Minute, wait, "until the first attempt is 15 minutes old")

	other, err := th.Take(ctx, "acct:b")
	require.NoError(t, err)
	assert.Zero(t, other, "keys are counted apart")
	sensitive := postgres.NewThrottle(d, "sensitive", 5, 15*time.Minute, clock)
	apart, err := sensitive.Take(ctx, "acct:a")
	require.NoError(t, err)
	assert.Zero(t, apart, "scopes are counted apart")

	// A second instance on the same database sees the same counts.
	twin := postgres.NewThrottle(d, "login", 5, 15*time.Minute, clock)
	shared, err := twin.Take(ctx, "acct:a")
	require.NoError(t, err)
	assert.Positive(t, shared)

	clock.Advance(10 * time.Minute)
	wait, err = th.Take(ctx, "acct:a")
	require.NoError(t, err)
	assert.Zero(t, wait, "the oldest attempt left the window")
	wait, err = th.Take(ctx, "acct:a")
	require.NoError(t, err)
	assert.Positive(t, wait, "and its place is taken again")

	require.NoError(t, th.Reset(ctx, "acct:a"))
	for i := 0; i < 5; i++ {
		wait, err := th.Take(ctx, "acct:a")
		require.NoError(t, err)
		require.Zero(t, wait, "attempt %d after the reset", i+1)
	}
}

// An attempt given back frees its place, and only one place.
func TestThrottleGiveBack(t *testing.T) {
	ctx := t.Context()
	d := postgres.NewDB(migrated(t))
	clock := fakes.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := postgres.NewThrottle(d, "login", 2, 15*time.Minute, clock)

	for range 2 {
		wait, err := th.Take(ctx, "k")
		require.NoError(t, err)
		require.Zero(t, wait)
	}
	wait, err := th.Take(ctx, "k")
	require.NoError(t, err)
	require.Positive(t, wait)

	require.NoError(t, th.GiveBack(ctx, "k"))
	wait, err = th.Take(ctx, "k")
	require.NoError(t, err)
	assert.Zero(t, wait, "the place given back is free")
	wait, err = th.Take(ctx, "k")
	require.NoError(t, err)
	assert.Positive(t, wait, "one place only")

	require.NoError(t, th.GiveBack(ctx, "nothing taken"), "giving back nothing is harmless")
}

// Racing takes of one key, from two instances, let exactly the limit
// through: the count and the insert are one step.
func TestThrottleRacingTakesStayInsideTheLimit(t *testing.T) {
	ctx := t.Context()
	d := postgres.NewDB(migrated(t))
	clock := fakes.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	instances := []*postgres.Throttle{
		postgres.NewThrottle(d, "login", 5, 15*time.Minute, clock),
		postgres.NewThrottle(d, "login", 5, 15*time.Minute, clock),
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		through int
		start   = make(chan struct{})
	)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			wait, err := instances[i%2].Take(ctx, "acct:race")
			assert.NoError(t, err)
			if err == nil && wait == 0 {
				mu.Lock()
				through++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.Equal(t, 5, through)
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
		wait, err := th.Take(ctx, "k")
		require.NoError(t, err)
		if wait == 0 {
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
