package application

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"time"

	"auth-service/domain"
	"auth-service/ports"
)

// stateName is the small JSON file where runs leave their outcome, so the
// status check and the metrics of another process can read it.
const stateName = ".backup-state.json"

// BackupRunState is the outcome of the latest runs.
type BackupRunState struct {
	LastSuccessAt   time.Time `json:"last_success_at,omitempty"`
	LastSuccessFile string    `json:"last_success_file,omitempty"`
	LastSize        int64     `json:"last_size,omitempty"`
	LastDurationMS  int64     `json:"last_duration_ms,omitempty"`
	LastErrorAt     time.Time `json:"last_error_at,omitempty"`
	LastError       string    `json:"last_error,omitempty"`
	Failures        int64     `json:"failures_total"`
}

// State reads the outcome of the latest runs; a missing file is a zero
// state.
func (b *Backups) State() BackupRunState {
	var st BackupRunState
	r, err := b.files.Open(stateName)
	if err != nil {
		return st
	}
	defer r.Close()
	_ = json.NewDecoder(io.LimitReader(r, 1<<16)).Decode(&st)
	return st
}

func (b *Backups) saveState(update func(*BackupRunState)) error {
	st := b.State()
	update(&st)
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return b.files.Replace(stateName, raw)
}

// Now runs one periodic backup and records its outcome for the status
// check, the metrics and the audit trail.
func (b *Backups) Now(ctx context.Context) (BackupResult, error) {
	return b.now(ctx, "", "", b.cfg.Retries)
}

// NowBy is Now on behalf of an administrator, named in the audit trail,
// with a single attempt: the caller waits for the answer, and retries are
// the scheduler's business.
func (b *Backups) NowBy(ctx context.Context, actor, ip string) (BackupResult, error) {
	return b.now(ctx, actor, ip, 1)
}

// RecordFailure notes a run that could not even start (the database did
// not answer), in the run log and the state the status check reads.
func (b *Backups) RecordFailure(err error) {
	b.logf("FAILED periodic backup could not start: %v", err)
	now := b.clock.Now()
	// Best effort: the failure is in the run log already.
	_ = b.saveState(func(st *BackupRunState) {
		st.LastErrorAt, st.LastError = now, firstLine(err.Error())
		st.Failures++
	})
}

func (b *Backups) now(ctx context.Context, actor, ip string, attempts int) (BackupResult, error) {
	res, err := b.runPeriodic(ctx, attempts)
	if res.Skipped {
		return res, nil
	}
	details := map[string]any{"file": res.File, "attempts": res.Attempts}
	if err != nil {
		details = map[string]any{"outcome": "failed", "attempts": res.Attempts}
	}
	b.record(ctx, actor, ip, domain.AuditBackupRun, res.File, details)
	now := b.clock.Now()
	serr := b.saveState(func(st *BackupRunState) {
		if err != nil {
			st.LastErrorAt, st.LastError = now, firstLine(err.Error())
			st.Failures++
			return
		}
		st.LastSuccessAt, st.LastSuccessFile = now, res.File
		st.LastSize, st.LastDurationMS = res.Size, res.Duration.Milliseconds()
	})
	if serr != nil && err == nil {
		// The dump is good, but the status and the metrics would go on
		// showing the run before it (a full disk, say): fail loudly.
		b.logf("FAILED to record the run of %s: %v", res.File, serr)
		return res, fmt.Errorf("backup %s written, but its run could not be recorded: %w", res.File, serr)
	}
	return res, err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// EnsureInitial writes the initial plain-SQL dump when the database still
// owes it: once written and verified it is recorded and never written,
// rotated or replaced again. done is false when another process holds the
// lock (it will write it) or the dump failed (err says why); written names
// the file only when this call wrote it.
func (b *Backups) EnsureInitial(ctx context.Context) (written BackupResult, done bool, err error) {
	done, err = b.state.InitialDone(ctx)
	if err != nil || done {
		return BackupResult{}, done, err
	}
	release, ok, err := b.lock.TryLock(ctx)
	if err != nil || !ok {
		return BackupResult{}, false, err
	}
	defer release()
	if done, err := b.state.InitialDone(ctx); err != nil || done {
		return BackupResult{}, done, err
	}
	b.sweep(ctx)
	if _, err := checksumOK(b.files, InitialBackupName); err == nil {
		// A verified initial dump is already there (for instance after a
		// reset of the schema): keep it, never overwrite it.
		return BackupResult{}, true, b.state.MarkInitialDone(ctx)
	}
	b.logf("START initial backup")
	start := b.clock.Now()
	res, err := b.write(ctx, ports.FormatPlain, InitialBackupName, false)
	if err != nil {
		b.logf("FAILED initial backup: %v", err)
		return BackupResult{}, false, fmt.Errorf("initial backup: %w", err)
	}
	res.Duration = b.clock.Now().Sub(start)
	b.logf("OK %s size=%d duration=%s sha256=%s", res.File, res.Size,
		res.Duration.Round(time.Millisecond), res.Checksum)
	if err := b.state.MarkInitialDone(ctx); err != nil {
		return BackupResult{}, false, err
	}
	return res, true, nil
}

// Safety writes a custom-format dump named for the time, exempt from
// rotation, before something destructive (a restore, a reset).
func (b *Backups) Safety(ctx context.Context) (BackupResult, error) {
	name := safetyPrefix + b.clock.Now().In(b.cfg.Location).Format("2006-01-02_15-04-05") + ".dump"
	b.logf("START safety backup")
	res, err := b.write(ctx, ports.FormatCustom, name, true)
	if err != nil {
		b.logf("FAILED safety backup: %v", err)
		return res, err
	}
	b.logf("OK safety %s size=%d sha256=%s", res.File, res.Size, res.Checksum)
	return res, nil
}

// kind classifies a backup file name; ok is false for anything else.
func (b *Backups) kind(name string) (BackupKind, bool) {
	switch {
	case name == InitialBackupName:
		return KindInitial, true
	case strings.HasPrefix(name, safetyPrefix) && strings.HasSuffix(name, ".dump"):
		return KindSafety, true
	}
	if _, _, ok := b.parsePeriodic(name); ok {
		return KindPeriodic, true
	}
	return "", false
}

// List returns the backup files, newest first, with their sidecar
// checksums.
func (b *Backups) List(ctx context.Context) ([]BackupInfo, error) {
	all, err := b.files.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []BackupInfo
	for _, f := range all {
		k, ok := b.kind(f.Name)
		if f.Dir || !ok {
			continue
		}
		info := BackupInfo{Name: f.Name, Kind: k, Time: f.ModTime, Size: f.Size}
		if t, _, ok := b.parsePeriodic(f.Name); ok {
			info.Time = t
		}
		info.Checksum, _ = sidecar(b.files, f.Name)
		out = append(out, info)
	}
	suffix := func(name string) int {
		_, n, _ := b.parsePeriodic(name)
		return n
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.After(out[j].Time)
		}
		return suffix(out[i].Name) > suffix(out[j].Name)
	})
	return out, nil
}

// sidecar reads the checksum recorded for name in src: one line as
// sha256sum writes it, text ("SUM  name") or binary ("SUM *name") mode.
// Anything more is refused, so the sidecar never says less than
// `sha256sum -c` would check.
func sidecar(src ports.BackupFiles, name string) (string, error) {
	r, err := src.Open(name + checksumSuffix)
	if err != nil {
		return "", err
	}
	defer r.Close()
	raw, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return "", err
	}
	line, rest, _ := strings.Cut(string(raw), "\n")
	sum, file, ok := strings.Cut(strings.TrimSuffix(line, "\r"), " ")
	file, mode := strings.CutPrefix(file, " ")
	if !mode {
		file, mode = strings.CutPrefix(file, "*")
	}
	if !ok || !mode || file != name || len(sum) != 64 || strings.TrimSpace(rest) != "" {
		return "", fmt.Errorf("the checksum file of %q is not one sha256sum line for it", name)
	}
	return strings.ToLower(sum), nil
}

// checksumOK compares a file of src with its sidecar and returns the
// checksum.
func checksumOK(src ports.BackupFiles, name string) (string, error) {
	want, err := sidecar(src, name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s has no checksum file %s%s", name, name, checksumSuffix)
	}
	if err != nil {
		return "", err
	}
	r, err := src.Open(name)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return "", fmt.Errorf("%s does not match its checksum: the file is damaged", name)
	}
	return want, nil
}

// formatOf tells the dump format from the name.
func formatOf(name string) (ports.DumpFormat, error) {
	switch {
	case strings.HasSuffix(name, ".dump"):
		return ports.FormatCustom, nil
	case strings.HasSuffix(name, ".sql"):
		return ports.FormatPlain, nil
	}
	return "", fmt.Errorf("%s is neither a .dump nor a .sql file", name)
}

// Verify checks a file of the backup folder: its checksum against the
// sidecar, then that the dump reads.
func (b *Backups) Verify(ctx context.Context, name string) error {
	return b.VerifyIn(ctx, b.files, name)
}

// VerifyIn checks a backup file that lives in src.
func (b *Backups) VerifyIn(ctx context.Context, src ports.BackupFiles, name string) error {
	format, err := formatOf(name)
	if err != nil {
		return err
	}
	r, err := src.Open(name)
	if err != nil {
		return fmt.Errorf("%s cannot be read: %w", src.Path(name), err)
	}
	_ = r.Close()
	if _, err := checksumOK(src, name); err != nil {
		return err
	}
	if err := verifyFile(ctx, b.dumper, src, format, name); err != nil {
		return fmt.Errorf("%s is not a readable dump: %w", name, err)
	}
	return nil
}

// Restore replaces the database with a file of the backup folder.
func (b *Backups) Restore(ctx context.Context, name string) (safety string, err error) {
	return b.RestoreFrom(ctx, b.files, name)
}

// RestoreFrom replaces the database with a backup file in src: it
// verifies the file, takes a safety dump of the current state into the
// backup folder, then restores in a single transaction, so a failure
// leaves the database as it was. It holds the backup lock throughout.
func (b *Backups) RestoreFrom(ctx context.Context, src ports.BackupFiles, name string) (safety string, err error) {
	release, ok, err := b.lock.TryLock(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrBackupRunning
	}
	defer release()

	if err := b.VerifyIn(ctx, src, name); err != nil {
		return "", err
	}
	format, _ := formatOf(name)
	s, err := b.Safety(ctx)
	if err != nil {
		return "", fmt.Errorf("safety backup before restore: %w", err)
	}
	b.logf("START restore of %s (safety dump %s)", src.Path(name), s.File)
	r, err := src.Open(name)
	if err != nil {
		return s.File, err
	}
	defer r.Close()
	if err := b.dumper.Restore(ctx, format, r); err != nil {
		b.logf("FAILED restore of %s: %v", name, err)
		return s.File, fmt.Errorf("restore %s: %w", name, err)
	}
	if err := b.state.AfterRestore(ctx); err != nil {
		b.logf("FAILED to end sessions after the restore of %s: %v", name, err)
		return s.File, fmt.Errorf("restored %s, but: %w", name, err)
	}
	b.logf("OK restored %s; every session and reset token of it ended", src.Path(name))
	b.record(ctx, "", "", domain.AuditBackupRestore, name, map[string]any{"safety_dump": s.File})
	return s.File, nil
}

// BackupStatus is the freshness report of the backup container.
type BackupStatus struct {
	Fresh      bool
	Newest     *BackupInfo
	State      BackupRunState
	MaxAge     time.Duration
	Reason     string
	NextRunAt  time.Time
	CheckedAt  time.Time
	CheckedSum bool
}

// Status reports whether the newest periodic dump is verified (its
// checksum holds) and younger than maxAge.
func (b *Backups) Status(ctx context.Context, maxAge time.Duration) (BackupStatus, error) {
	now := b.clock.Now()
	st := BackupStatus{State: b.State(), MaxAge: maxAge, CheckedAt: now}
	list, err := b.periodic(ctx)
	if err != nil {
		return st, err
	}
	if len(list) == 0 {
		st.Reason = "no periodic backup exists"
		return st, nil
	}
	newest := list[0]
	st.Newest = &newest
	if _, err := checksumOK(b.files, newest.Name); err != nil {
		st.Reason = err.Error()
		return st, nil
	}
	st.CheckedSum = true
	made := newest.Time
	if made.After(now) {
		// A name ahead of the clock (another BACKUP_TZ, a stray file)
		// proves nothing; the file's own time does.
		made = newest.modTime
	}
	if age := now.Sub(made); age > maxAge {
		st.Reason = fmt.Sprintf("the newest backup %s is %s old, more than %s",
			newest.Name, age.Round(time.Second), maxAge)
		return st, nil
	}
	st.Fresh = true
	return st, nil
}

// record writes an audit event; the audit trail lives in the database
// being dumped, so a failure to write it is logged to the run log instead.
func (b *Backups) record(ctx context.Context, actor, ip, action, file string, details map[string]any) {
	if b.audit == nil {
		return
	}
	err := b.audit.Append(ctx, domain.AuditEvent{ActorID: actor, Action: action,
		TargetType: "backup", TargetID: file, IP: ip, At: b.clock.Now(), Details: details})
	if err != nil {
		b.logf("WARN could not write the audit event %s: %v", action, err)
	}
}

// CheckTools fails when the dump tool is older than the server, naming
// both versions: an older pg_dump refuses to dump a newer server.
func (b *Backups) CheckTools(ctx context.Context) error {
	tool, server, err := b.dumper.Versions(ctx)
	if err != nil {
		return fmt.Errorf("check pg_dump: %w", err)
	}
	if tool < server {
		return fmt.Errorf("pg_dump %d is older than the PostgreSQL %d server; "+
			"install the PostgreSQL %d client tools (postgresql-client-%d)", tool, server, server, server)
	}
	return nil
}

// Files is the backup folder, for callers that resolve names.
func (b *Backups) Files() ports.BackupFiles { return b.files }

// BeforeReset takes the safety dump that must precede dropping the schema,
// holding the backup lock while it writes.
func (b *Backups) BeforeReset(ctx context.Context) (string, error) {
	release, ok, err := b.lock.TryLock(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrBackupRunning
	}
	defer release()
	res, err := b.Safety(ctx)
	return res.File, err
}
