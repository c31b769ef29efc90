package application

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"auth-service/ports"
)

// Backup file names. Periodic dumps carry their time in the name, in the
// configured zone; rotation only ever touches names matching periodicName
// exactly.
const (
	InitialBackupName = "auth_db_backup_inicial.sql"
	tempPrefix        = ".auth_db_backup_tmp_"
	tempSuffix        = ".partial"
	checksumSuffix    = ".sha256"
	safetyPrefix      = "auth_db_safety_"
)

var (
	periodicName = regexp.MustCompile(
		`^auth_db_backup_(\d{2})-(\d{2})_(\d{2})-(\d{2})-(\d{4})(?:_([1-9]\d{0,3}))?\.dump$`)
	tempName = regexp.MustCompile(`^\.auth_db_backup_tmp_[0-9a-zA-Z_-]+\.partial$`)
)

// BackupConfig holds the backup policy.
type BackupConfig struct {
	Keep       int
	Retries    int
	RetryDelay time.Duration
	Location   *time.Location
}

// BackupKind says what a backup file is.
type BackupKind string

// The kinds of backup file.
const (
	KindPeriodic BackupKind = "periodic"
	KindInitial  BackupKind = "initial"
	KindSafety   BackupKind = "safety"
)

// BackupInfo describes one backup file.
type BackupInfo struct {
	Name     string
	Kind     BackupKind
	Time     time.Time // from the name for periodic dumps, else the file time
	Size     int64
	Checksum string // hex SHA-256 from the sidecar, "" when there is none

	modTime time.Time
}

// BackupResult is the outcome of one run.
type BackupResult struct {
	Skipped  bool
	File     string
	Time     time.Time // the time in the file's name
	Size     int64
	Checksum string
	Duration time.Duration
	Attempts int
	Rotated  []string
}

// ErrBackupRunning is returned when another process holds the backup lock
// and the caller wanted to wait for nothing.
var ErrBackupRunning = errors.New("a backup is already running")

// Backups is the backup policy: naming, writing safely, verifying,
// retrying, rotating and logging. It depends only on ports.
type Backups struct {
	cfg    BackupConfig
	dumper ports.Dumper
	files  ports.BackupFiles
	lock   ports.Locker
	state  ports.BackupState
	clock  ports.Clock
	sleep  ports.Sleeper
	random ports.Random
	audit  ports.AuditLog
}

// NewBackups returns the backup use cases.
func NewBackups(
	cfg BackupConfig,
	dumper ports.Dumper,
	files ports.BackupFiles,
	lock ports.Locker,
	state ports.BackupState,
	clock ports.Clock,
	sleep ports.Sleeper,
	random ports.Random,
	audit ports.AuditLog,
) *Backups {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	cfg.Keep = max(cfg.Keep, 1)
	cfg.Retries = max(cfg.Retries, 1)
	return &Backups{cfg: cfg, dumper: dumper, files: files, lock: lock, state: state,
		clock: clock, sleep: sleep, random: random, audit: audit}
}

// logf appends one line to the run log, stamped in the backup zone.
func (b *Backups) logf(format string, args ...any) {
	line := b.clock.Now().In(b.cfg.Location).Format(time.RFC3339) + " " + fmt.Sprintf(format, args...)
	_ = b.files.AppendLog(line)
}

// PeriodicName is the file name of a periodic dump taken at t.
func (b *Backups) PeriodicName(t time.Time) string {
	return "auth_db_backup_" + t.In(b.cfg.Location).Format("15-04_02-01-2006") + ".dump"
}

// parsePeriodic returns the time in a periodic name and its collision
// suffix (1 when there is none).
func (b *Backups) parsePeriodic(name string) (time.Time, int, bool) {
	m := periodicName.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, 0, false
	}
	t, err := time.ParseInLocation("15-04_02-01-2006",
		m[1]+"-"+m[2]+"_"+m[3]+"-"+m[4]+"-"+m[5], b.cfg.Location)
	if err != nil {
		return time.Time{}, 0, false
	}
	n := 1
	if m[6] != "" {
		n, _ = strconv.Atoi(m[6])
	}
	return t, n, true
}

// RunPeriodic takes one custom-format dump with retries, then rotates.
// When another process holds the lock it returns a skipped result and no
// error. A run that fails leaves no new file and removes nothing.
func (b *Backups) RunPeriodic(ctx context.Context) (BackupResult, error) {
	return b.runPeriodic(ctx, b.cfg.Retries)
}

func (b *Backups) runPeriodic(ctx context.Context, attempts int) (BackupResult, error) {
	attempts = max(attempts, 1)
	start := b.clock.Now()
	name := b.PeriodicName(start)
	delay := b.cfg.RetryDelay
	var (
		res     BackupResult
		err     error
		release func()
	)
	defer func() {
		if release != nil {
			release()
		}
	}()
	for attempt := 1; ; attempt++ {
		// Taking the lock is part of the attempt: a database that is down
		// or restarting fails the attempt, and the retries give it time.
		err = nil
		if release == nil {
			var ok bool
			release, ok, err = b.lock.TryLock(ctx)
			switch {
			case err != nil:
				release, err = nil, fmt.Errorf("take the backup lock: %w", err)
			case !ok:
				release = nil
				b.logf("SKIPPED another backup is running")
				return BackupResult{Skipped: true}, nil
			default:
				b.sweep(ctx)
			}
		}
		if attempt == 1 {
			b.logf("START periodic backup")
		}
		if err == nil {
			res, err = b.write(ctx, ports.FormatCustom, name, true)
		}
		res.Attempts = attempt
		if err == nil {
			break
		}
		b.logf("FAILED attempt %d of %d: %v", attempt, attempts, err)
		if attempt >= attempts || ctx.Err() != nil {
			b.logf("FAILED periodic backup after %d attempts", attempt)
			return res, fmt.Errorf("backup failed after %d attempts: %w", attempt, err)
		}
		if err := b.sleep.Sleep(ctx, delay); err != nil {
			return res, err
		}
		delay *= 2
	}
	res.Duration = b.clock.Now().Sub(start)
	res.Time, _, _ = b.parsePeriodic(res.File)
	b.logf("OK %s size=%d duration=%s sha256=%s attempts=%d",
		res.File, res.Size, res.Duration.Round(time.Millisecond), res.Checksum, res.Attempts)

	res.Rotated, err = b.rotate(ctx, res.File)
	for _, r := range res.Rotated {
		b.logf("ROTATED %s", r)
	}
	if err != nil {
		b.logf("FAILED rotation: %v", err)
		return res, fmt.Errorf("rotate: %w", err)
	}
	return res, nil
}

// write dumps into a temporary file, syncs and verifies it, and only then
// gives it a free name based on name (suffixed _2, _3, ... when taken,
// unless unique is false, in which case a taken name is an error) and its
// checksum sidecar. On any failure the temporary file is removed.
func (b *Backups) write(ctx context.Context, format ports.DumpFormat, name string, unique bool) (BackupResult, error) {
	token, err := b.random.Token()
	if err != nil {
		return BackupResult{}, err
	}
	tmp := tempPrefix + token[:16] + tempSuffix
	w, err := b.files.Create(tmp)
	if err != nil {
		return BackupResult{}, fmt.Errorf("create temporary file: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			_ = b.files.Remove(tmp)
		}
	}()

	sum := sha256.New()
	counter := &countingWriter{}
	dumpErr := b.dumper.Dump(ctx, format, io.MultiWriter(w, sum, counter))
	syncErr := w.Sync()
	closeErr := w.Close()
	switch {
	case dumpErr != nil:
		return BackupResult{}, dumpErr
	case syncErr != nil:
		return BackupResult{}, fmt.Errorf("sync dump: %w", syncErr)
	case closeErr != nil:
		return BackupResult{}, fmt.Errorf("close dump: %w", closeErr)
	case counter.n == 0:
		return BackupResult{}, errors.New("the dump is empty")
	}
	if err := verifyFile(ctx, b.dumper, b.files, format, tmp); err != nil {
		return BackupResult{}, fmt.Errorf("verify dump: %w", err)
	}

	final, err := b.place(ctx, tmp, name, unique)
	if err != nil {
		return BackupResult{}, err
	}
	keep = true
	checksum := hex.EncodeToString(sum.Sum(nil))
	if err := b.writeSidecar(final, checksum); err != nil {
		// A dump without its checksum is not a backup: take it back, so
		// a retry starts clean.
		_ = b.files.Remove(final)
		return BackupResult{}, err
	}
	return BackupResult{File: final, Size: counter.n, Checksum: checksum}, nil
}

// place renames tmp to name. With unique set, a taken name gets the next
// suffix above every one already used in the folder (_2, _3, ...), so a
// new dump always ranks newest; without it, a taken name is an error.
func (b *Backups) place(ctx context.Context, tmp, name string, unique bool) (string, error) {
	base, ext := strings.TrimSuffix(name, ".dump"), ".dump"
	if !strings.HasSuffix(name, ".dump") {
		base, ext = name, ""
	}
	next := 1
	if unique {
		list, err := b.files.List(ctx)
		if err != nil {
			return "", err
		}
		for _, f := range list {
			if f.Name == name {
				next = max(next, 2)
			} else if rest, ok := strings.CutPrefix(f.Name, base+"_"); ok {
				if n, err := strconv.Atoi(strings.TrimSuffix(rest, ext)); err == nil &&
					strings.HasSuffix(rest, ext) {
					next = max(next, n+1)
				}
			}
		}
	}
	for n := next; n < next+1000; n++ {
		candidate := name
		if n > 1 {
			candidate = base + "_" + strconv.Itoa(n) + ext
		}
		err := b.files.Rename(tmp, candidate)
		if err == nil {
			return candidate, nil
		}
		if !errors.Is(err, fs.ErrExist) || !unique {
			return "", fmt.Errorf("name the dump %s: %w", candidate, err)
		}
	}
	return "", errors.New("no free name for the dump")
}

func (b *Backups) writeSidecar(name, checksum string) error {
	token, err := b.random.Token()
	if err != nil {
		return err
	}
	tmp := tempPrefix + token[:16] + tempSuffix
	w, err := b.files.Create(tmp)
	if err != nil {
		return fmt.Errorf("create checksum file: %w", err)
	}
	_, err = io.WriteString(w, checksum+"  "+name+"\n")
	if err == nil {
		err = w.Sync()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		_ = b.files.Remove(name + checksumSuffix) // a stale sidecar of a lost file
		err = b.files.Rename(tmp, name+checksumSuffix)
	}
	if err != nil {
		_ = b.files.Remove(tmp)
		return fmt.Errorf("write checksum of %s: %w", name, err)
	}
	return nil
}

func verifyFile(ctx context.Context, d ports.Dumper, src ports.BackupFiles, format ports.DumpFormat, name string) error {
	r, err := src.Open(name)
	if err != nil {
		return err
	}
	defer r.Close()
	return d.Verify(ctx, format, r)
}

// sweep removes temporary files left by a killed run. It runs under the
// lock, so no live run is writing one.
func (b *Backups) sweep(ctx context.Context) {
	list, err := b.files.List(ctx)
	if err != nil {
		return
	}
	for _, f := range list {
		if !f.Dir && tempName.MatchString(f.Name) {
			if err := b.files.Remove(f.Name); err == nil {
				b.logf("SWEPT leftover temporary file %s", f.Name)
			}
		}
	}
}

// periodic lists the periodic dumps that carry a checksum sidecar (the
// ones this service wrote), newest first by the time in their names (then
// by suffix), never by the order of the names' letters.
func (b *Backups) periodic(ctx context.Context) ([]BackupInfo, error) {
	list, err := b.files.List(ctx)
	if err != nil {
		return nil, err
	}
	sidecars := map[string]bool{}
	for _, f := range list {
		if !f.Dir && strings.HasSuffix(f.Name, checksumSuffix) {
			sidecars[strings.TrimSuffix(f.Name, checksumSuffix)] = true
		}
	}
	type entry struct {
		info   BackupInfo
		suffix int
	}
	var out []entry
	for _, f := range list {
		if f.Dir || !sidecars[f.Name] {
			continue
		}
		t, n, ok := b.parsePeriodic(f.Name)
		if !ok {
			continue
		}
		info := BackupInfo{Name: f.Name, Kind: KindPeriodic, Time: t, Size: f.Size, modTime: f.ModTime}
		out = append(out, entry{info, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].info.Time.Equal(out[j].info.Time) {
			return out[i].info.Time.After(out[j].info.Time)
		}
		return out[i].suffix > out[j].suffix
	})
	infos := make([]BackupInfo, len(out))
	for i, e := range out {
		infos[i] = e.info
	}
	return infos, nil
}

// rotate keeps the dump just written (keep) and the newest others up to
// Keep in all, and removes the rest with their sidecars. The dump just
// written is never removed, even when names from another time zone or a
// stray file rank above it. Nothing else in the folder is touched.
func (b *Backups) rotate(ctx context.Context, keep string) ([]string, error) {
	list, err := b.periodic(ctx)
	if err != nil {
		return nil, err
	}
	slots := b.cfg.Keep - 1 // one is the new dump's
	var removed []string
	for _, f := range list {
		if f.Name == keep {
			continue
		}
		if slots > 0 {
			slots--
			continue
		}
		if err := b.files.Remove(f.Name); err != nil {
			return removed, err
		}
		_ = b.files.Remove(f.Name + checksumSuffix)
		removed = append(removed, f.Name)
	}
	return removed, nil
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
