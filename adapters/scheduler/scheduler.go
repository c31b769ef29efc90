// Package scheduler runs a job on a cron schedule with robfig/cron,
// reading the schedule as wall-clock times in a zone so that daylight
// saving changes neither skip nor repeat a run.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a cron expression read in a zone's wall-clock time.
type Schedule struct {
	spec cron.Schedule
	loc  *time.Location
}

// Parse reads a standard five-field expression or a descriptor such as
// @midnight, to be read in loc. Errors name BACKUP_SCHEDULE.
func Parse(expr string, loc *time.Location) (*Schedule, error) {
	spec, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("BACKUP_SCHEDULE %q: %w", expr, err)
	}
	if _, ok := spec.(cron.ConstantDelaySchedule); ok {
		return nil, fmt.Errorf("BACKUP_SCHEDULE %q: @every is not supported; use a cron expression", expr)
	}
	if s, ok := spec.(*cron.SpecSchedule); ok {
		s.Location = time.UTC // computed on wall-clock values, see Next
	}
	return &Schedule{spec: spec, loc: loc}, nil
}

// wall returns t's wall-clock reading in loc, as a UTC time.
func (s *Schedule) wall(t time.Time) time.Time {
	l := t.In(s.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(),
		l.Nanosecond(), time.UTC)
}

// Next returns the first run strictly after t. The expression is matched
// against wall-clock readings: a reading that a spring-forward gap skips
// runs once, shifted by the gap (02:30 in a 02:00-03:00 gap runs at
// 03:30); readings that repeat when clocks go back run once, at their
// first occurrence.
func (s *Schedule) Next(t time.Time) time.Time {
	w := s.wall(t)
	for i := 0; i < 1000; i++ {
		w = s.spec.Next(w)
		if w.IsZero() {
			return w
		}
		at := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, s.loc)
		if s.wall(at) != w {
			// w is inside a gap: run at the first real instant after it.
			at = firstAfterGap(at, w, s)
		}
		if at.After(t) {
			return at
		}
	}
	return time.Time{}
}

// firstAfterGap finds the first instant whose wall reading is past w.
func firstAfterGap(at, w time.Time, s *Schedule) time.Time {
	for step := 0; step < 240 && !s.wall(at).After(w); step++ {
		at = at.Add(time.Minute)
	}
	return at.Truncate(time.Minute)
}

// Interval is the shortest time between two runs over the next few runs
// after now, for the freshness check.
func (s *Schedule) Interval(now time.Time) time.Duration {
	prev := s.Next(now)
	best := time.Duration(0)
	for i := 0; i < 5; i++ {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		if d := next.Sub(prev); best == 0 || d < best {
			best = d
		}
		prev = next
	}
	return best
}

// MaxAge is how old the newest backup may be and still count as fresh:
// two intervals plus a tenth of one (at least 5s, at most 10m) of slack.
func (s *Schedule) MaxAge(now time.Time) time.Duration {
	iv := s.Interval(now)
	slack := min(max(iv/10, 5*time.Second), 10*time.Minute)
	return 2*iv + slack
}

// Run calls job on every tick until ctx ends. A tick that comes while the
// previous job still runs is skipped and logged. It logs the next run
// after start and after every run.
func Run(ctx context.Context, s *Schedule, job func(ctx context.Context), log *slog.Logger) {
	c := cron.New(
		cron.WithLocation(time.UTC),
		cron.WithChain(cron.SkipIfStillRunning(cronLogger{log})),
	)
	var id cron.EntryID
	id = c.Schedule(s, cron.FuncJob(func() {
		job(ctx)
		log.Info("next backup", "at", c.Entry(id).Next.In(s.loc).Format(time.RFC3339))
	}))
	c.Start()
	log.Info("backup scheduler started", "next", s.Next(time.Now()).In(s.loc).Format(time.RFC3339))
	<-ctx.Done()
	<-c.Stop().Done()
}

// cronLogger gives robfig/cron's log calls to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.log.Warn("backup tick skipped: the previous run is still going")
		return
	}
	l.log.Debug("cron: "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "error", err.Error())...)
}
