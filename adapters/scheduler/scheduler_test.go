package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustLoc(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func TestParseRefusesBadExpressions(t *testing.T) {
	for _, expr := range []string{"banana", "61 * * * *", "* * * *", "@every 5m", ""} {
		_, err := Parse(expr, time.UTC)
		assert.Error(t, err, expr)
		if err != nil {
			assert.Contains(t, err.Error(), "BACKUP_SCHEDULE")
		}
	}
	for _, expr := range []string{"*/30 * * * *", "@midnight", "0 3 * * 1-5", "* * * * *"} {
		_, err := Parse(expr, time.UTC)
		assert.NoError(t, err, expr)
	}
}

func TestNextEveryThirtyMinutes(t *testing.T) {
	s, err := Parse("*/30 * * * *", time.UTC)
	require.NoError(t, err)
	at := time.Date(2026, 1, 1, 10, 5, 0, 0, time.UTC)
	assert.Equal(t, time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC), s.Next(at))
	assert.Equal(t, 30*time.Minute, s.Interval(at))
	assert.Equal(t, 63*time.Minute, s.MaxAge(at))
}

// In Europe/Paris clocks jump from 02:00 to 03:00 on 2026-03-29.
func TestTickInSpringGapRunsOnce(t *testing.T) {
	paris := mustLoc(t, "Europe/Paris")
	s, err := Parse("30 2 * * *", paris)
	require.NoError(t, err)

	before := time.Date(2026, 3, 29, 1, 0, 0, 0, paris)
	got := s.Next(before)
	assert.Equal(t, time.Date(2026, 3, 29, 3, 30, 0, 0, paris), got, "runs once, shifted by the gap")
	next := s.Next(got)
	assert.Equal(t, time.Date(2026, 3, 30, 2, 30, 0, 0, paris), next, "and not again that day")
}

// In Europe/Paris clocks go back from 03:00 to 02:00 on 2026-10-25.
func TestRepeatedHourRunsOnce(t *testing.T) {
	paris := mustLoc(t, "Europe/Paris")
	s, err := Parse("30 2 * * *", paris)
	require.NoError(t, err)

	first := s.Next(time.Date(2026, 10, 25, 1, 0, 0, 0, paris))
	assert.Equal(t, 2, first.In(paris).Hour())
	second := s.Next(first)
	assert.Equal(t, 26, second.In(paris).Day(), "the repeated 02:30 does not run again")

	// Every minute through the repeated hour: each wall-clock minute once.
	each, err := Parse("* * * * *", paris)
	require.NoError(t, err)
	seen := map[string]int{}
	at := time.Date(2026, 10, 25, 1, 50, 0, 0, paris)
	for i := 0; i < 80; i++ {
		at = each.Next(at)
		seen[at.In(paris).Format("15:04")]++
	}
	for minute, n := range seen {
		assert.Equal(t, 1, n, "wall-clock minute %s ran %d times", minute, n)
	}
}

func TestNextIsAlwaysLater(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	s, err := Parse("*/7 * * * *", ny)
	require.NoError(t, err)
	at := time.Date(2026, 3, 8, 0, 0, 0, 0, ny)
	for i := 0; i < 2000; i++ {
		next := s.Next(at)
		require.True(t, next.After(at), "%s after %s", next, at)
		at = next
	}
}
