package application_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/application"
	"auth-service/domain"
	"auth-service/ports"
	"auth-service/ports/fakes"
)

// bkStart is where the fake clock of every backup test stands at first:
// its periodic name is auth_db_backup_05-06_04-03-2026.dump.
var bkStart = time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)

const (
	bkFirstName = "auth_db_backup_05-06_04-03-2026.dump"
	bkInitial   = "auth_db_backup_inicial.sql"
	bkTmpPrefix = ".auth_db_backup_tmp_"
)

var (
	bkPeriodicRE = regexp.MustCompile(`^auth_db_backup_\d{2}-\d{2}_\d{2}-\d{2}-\d{4}(_\d+)?\.dump$`)
	bkSidecarRE  = regexp.MustCompile(`^([0-9a-f]{64})  (\S+)\n$`)
	errBkDump    = errors.New("pg_dump: connection to server failed")
)

// bkDumper wraps the fake dump tool to record the formats it is asked
// for and to let a test look at the folder at the moment of a restore.
type bkDumper struct {
	*fakes.Dumper
	mu        sync.Mutex
	formats   []ports.DumpFormat
	onRestore func()
}

func (d *bkDumper) Dump(ctx context.Context, format ports.DumpFormat, w io.Writer) error {
	d.mu.Lock()
	d.formats = append(d.formats, format)
	d.mu.Unlock()
	return d.Dumper.Dump(ctx, format, w)
}

func (d *bkDumper) Restore(ctx context.Context, format ports.DumpFormat, r io.Reader) error {
	d.mu.Lock()
	hook := d.onRestore
	d.mu.Unlock()
	if hook != nil {
		hook()
	}
	return d.Dumper.Restore(ctx, format, r)
}

func (d *bkDumper) dumpFormats() []ports.DumpFormat {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]ports.DumpFormat(nil), d.formats...)
}

// bkSortedFiles lists the folder sorted by name, as os.ReadDir does in the
// real adapter, so that the order of a listing is deterministic.
type bkSortedFiles struct{ *fakes.Files }

func (f bkSortedFiles) List(ctx context.Context) ([]ports.BackupFile, error) {
	list, err := f.Files.List(ctx)
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, err
}

// bkFix is a Backups with all its fakes.
type bkFix struct {
	b       *application.Backups
	dumper  *fakes.Dumper
	rec     *bkDumper
	files   *fakes.Files
	lock    *fakes.Locker
	state   *fakes.BackupState
	clock   *fakes.Clock
	sleeper *fakes.Sleeper
	audit   *fakes.Audit
}

func bkConfig() application.BackupConfig {
	return application.BackupConfig{Keep: 3, Retries: 3, RetryDelay: 10 * time.Second, Location: time.UTC}
}

func newBackups(t *testing.T, cfg application.BackupConfig) *bkFix {
	t.Helper()
	return newBackupsWith(t, cfg, func(f *fakes.Files) ports.BackupFiles { return f })
}

func newBackupsWith(t *testing.T, cfg application.BackupConfig,
	wrap func(*fakes.Files) ports.BackupFiles,
) *bkFix {
	t.Helper()
	clock := fakes.NewClock(bkStart)
	fx := &bkFix{
		dumper:  &fakes.Dumper{},
		files:   fakes.NewFiles(clock),
		lock:    &fakes.Locker{},
		state:   &fakes.BackupState{},
		clock:   clock,
		sleeper: &fakes.Sleeper{Clock: clock},
		audit:   &fakes.Audit{},
	}
	fx.rec = &bkDumper{Dumper: fx.dumper}
	fx.b = application.NewBackups(cfg, fx.rec, wrap(fx.files), fx.lock, fx.state,
		clock, fx.sleeper, &fakes.Random{}, fx.audit)
	return fx
}

// script makes the dumper play steps.
func (fx *bkFix) script(steps ...fakes.DumpStep) { fx.dumper.Script = steps }

func bkGood(tag string) fakes.DumpStep { return fakes.DumpStep{Write: fakes.GoodDump(tag)} }

func bkFail(err error) fakes.DumpStep { return fakes.DumpStep{Err: err} }

// bkSidecar is the sha256sum line for data stored as name.
func bkSidecar(name string, data []byte) []byte {
	sum := sha256.Sum256(data)
	return []byte(hex.EncodeToString(sum[:]) + "  " + name + "\n")
}

// putBackup stores a dump and its valid sidecar.
func (fx *bkFix) putBackup(name string, data []byte, mod time.Time) {
	fx.files.Put(name, data, mod)
	fx.files.Put(name+".sha256", bkSidecar(name, data), mod)
}

// run takes one periodic backup that must succeed.
func (fx *bkFix) run(t *testing.T) application.BackupResult {
	t.Helper()
	res, err := fx.b.RunPeriodic(context.Background())
	require.NoError(t, err)
	require.False(t, res.Skipped)
	return res
}

// periodic returns the names of the periodic dumps, sorted.
func (fx *bkFix) periodic() []string {
	var out []string
	for _, n := range fx.files.Names() {
		if bkPeriodicRE.MatchString(n) {
			out = append(out, n)
		}
	}
	return out
}

func (fx *bkFix) temps() []string {
	var out []string
	for _, n := range fx.files.Names() {
		if strings.HasPrefix(n, bkTmpPrefix) {
			out = append(out, n)
		}
	}
	return out
}

func (fx *bkFix) has(name string) bool {
	_, ok := fx.files.Get(name)
	return ok
}

func (fx *bkFix) snapshot() map[string][]byte {
	out := map[string][]byte{}
	for _, n := range fx.files.Names() {
		data, _ := fx.files.Get(n)
		out[n] = data
	}
	return out
}

// linesWith returns the log lines containing s.
func (fx *bkFix) linesWith(s string) []string {
	var out []string
	for _, l := range fx.files.Lines() {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// requireSidecar checks that name has a sha256sum-compatible sidecar that
// matches its bytes, and returns the checksum.
func (fx *bkFix) requireSidecar(t *testing.T, name string) string {
	t.Helper()
	data, ok := fx.files.Get(name)
	require.True(t, ok, "%s is missing", name)
	side, ok := fx.files.Get(name + ".sha256")
	require.True(t, ok, "%s has no sidecar", name)
	m := bkSidecarRE.FindStringSubmatch(string(side))
	require.NotNil(t, m, "sidecar of %s is not a sha256sum line: %q", name, side)
	require.Equal(t, name, m[2])
	sum := sha256.Sum256(data)
	require.Equal(t, hex.EncodeToString(sum[:]), m[1], "sidecar of %s does not match its bytes", name)
	return m[1]
}

func TestBackupRetriesThenSucceeds(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.script(bkFail(errors.New("first: server closed the connection")),
		bkFail(errors.New("second: could not connect")), bkGood("third"))

	res, err := fx.b.RunPeriodic(context.Background())
	require.NoError(t, err)
	assert.False(t, res.Skipped)
	assert.Equal(t, bkFirstName, res.File)
	assert.Equal(t, 3, res.Attempts)
	assert.Equal(t, 3, fx.dumper.DumpCalls())
	assert.Equal(t, int64(len(fakes.GoodDump("third"))), res.Size)

	assert.Equal(t, []string{bkFirstName, bkFirstName + ".sha256"}, fx.files.Names(),
		"exactly one new dump and its sidecar")
	data, _ := fx.files.Get(bkFirstName)
	assert.Equal(t, fakes.GoodDump("third"), data)
	sum := fx.requireSidecar(t, bkFirstName)
	assert.Equal(t, sum, res.Checksum)
	assert.Empty(t, fx.temps())

	failed := fx.linesWith("FAILED attempt")
	require.Len(t, failed, 2, "log: %q", fx.files.Lines())
	assert.Contains(t, failed[0], "attempt 1 of 3")
	assert.Contains(t, failed[0], "server closed the connection", "the tool's own error text is logged")
	assert.Contains(t, failed[1], "attempt 2 of 3")
	assert.Contains(t, failed[1], "could not connect")
	ok := fx.linesWith(" OK ")
	require.Len(t, ok, 1, "log: %q", fx.files.Lines())
	assert.Contains(t, ok[0], bkFirstName)
	assert.Contains(t, ok[0], sum)
	assert.Contains(t, ok[0], "attempts=3")

	assert.Equal(t, []time.Duration{10 * time.Second, 20 * time.Second}, fx.sleeper.Delays,
		"the retry delay doubles")
}

func TestBackupAlwaysFailingChangesNothing(t *testing.T) {
	fx := newBackups(t, bkConfig())
	for i, name := range []string{
		"auth_db_backup_04-36_04-03-2026.dump",
		"auth_db_backup_04-06_04-03-2026.dump",
		"auth_db_backup_03-36_04-03-2026.dump",
	} {
		fx.putBackup(name, fakes.GoodDump(name), bkStart.Add(-time.Duration(i+1)*30*time.Minute))
	}
	before := fx.snapshot()
	fx.script(bkFail(errBkDump))

	res, err := fx.b.RunPeriodic(context.Background())
	require.Error(t, err, "a failed backup is a non-zero exit")
	assert.Contains(t, err.Error(), "connection to server failed")
	assert.False(t, res.Skipped)
	assert.Empty(t, res.Rotated)
	assert.Equal(t, 3, fx.dumper.DumpCalls())
	assert.Equal(t, []time.Duration{10 * time.Second, 20 * time.Second}, fx.sleeper.Delays)

	assert.Equal(t, before, fx.snapshot(), "no new file, nothing removed, existing backups byte-identical")
	assert.Empty(t, fx.temps(), "no temporary file left")
	assert.Len(t, fx.linesWith("FAILED attempt"), 3)
	assert.Len(t, fx.linesWith("FAILED periodic backup after 3 attempts"), 1)
	assert.Empty(t, fx.linesWith("ROTATED"))
}

func TestBackupNowRecordsFailureButKeepsLastSuccess(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.script(bkGood("first"), bkFail(errBkDump))
	ctx := context.Background()

	res, err := fx.b.Now(ctx)
	require.NoError(t, err)
	okAt := fx.clock.Now()
	st := fx.b.State()
	assert.True(t, st.LastSuccessAt.Equal(okAt), "got %v", st.LastSuccessAt)
	assert.Equal(t, res.File, st.LastSuccessFile)
	assert.Equal(t, res.Size, st.LastSize)
	assert.Zero(t, st.Failures)
	assert.Empty(t, st.LastError)

	fx.clock.Advance(30 * time.Minute)
	_, err = fx.b.Now(ctx)
	require.Error(t, err)
	st = fx.b.State()
	assert.True(t, st.LastSuccessAt.Equal(okAt), "a failure leaves the last success alone, got %v", st.LastSuccessAt)
	assert.Equal(t, bkFirstName, st.LastSuccessFile)
	assert.Contains(t, st.LastError, "connection to server failed")
	assert.True(t, st.LastErrorAt.Equal(fx.clock.Now()), "got %v", st.LastErrorAt)
	assert.Equal(t, int64(1), st.Failures)

	_, err = fx.b.Now(ctx)
	require.Error(t, err)
	assert.Equal(t, int64(2), fx.b.State().Failures)
	assert.True(t, fx.b.State().LastSuccessAt.Equal(okAt))
	assert.Equal(t, []string{bkFirstName}, fx.periodic(), "failed runs add no dump")
}

func TestBackupHalfWrittenDumpIsNotKept(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.script(fakes.DumpStep{Write: []byte("DUMP half of the tab"), Err: errors.New("pg_dump: killed")})

	_, err := fx.b.RunPeriodic(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "killed")
	assert.Empty(t, fx.files.Names(), "nothing kept, no temporary file")
	assert.Equal(t, 3, fx.dumper.DumpCalls())
}

func TestBackupEmptyDumpIsRejected(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.script(fakes.DumpStep{Write: nil, Err: nil})

	_, err := fx.b.RunPeriodic(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "empty")
	assert.Empty(t, fx.files.Names(), "an empty dump never carries a backup's name")
	assert.Len(t, fx.linesWith("FAILED attempt"), 3)
}

func TestBackupUnreadableDumpIsRejected(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.script(fakes.DumpStep{Write: []byte("garbage")})

	_, err := fx.b.RunPeriodic(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "verify")
	assert.Empty(t, fx.files.Names(), "an unreadable dump never carries a backup's name")
	assert.Equal(t, 3, fx.dumper.DumpCalls())
}

func TestBackupCancelledContextStopsRetrying(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.script(bkFail(errBkDump))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := fx.b.RunPeriodic(ctx)
	require.Error(t, err)
	assert.Equal(t, 1, fx.dumper.DumpCalls())
	assert.Empty(t, fx.sleeper.Delays)
	assert.Empty(t, fx.files.Names())
}

func TestBackupRotationOrdersByTimeInNameNotLetters(t *testing.T) {
	fx := newBackups(t, bkConfig())
	// Oldest first by the time in the name; by letters the order is quite
	// different (23-59_31-12-2025 sorts after 00-01_01-01-2026).
	older := []string{
		"auth_db_backup_12-00_15-06-2025.dump",
		"auth_db_backup_23-59_31-12-2025.dump", // year boundary
		"auth_db_backup_00-01_01-01-2026.dump",
		"auth_db_backup_23-59_31-01-2026.dump", // month boundary
		"auth_db_backup_00-01_01-02-2026.dump",
		"auth_db_backup_23-59_27-02-2026.dump", // day boundary
		"auth_db_backup_00-01_28-02-2026.dump",
	}
	// Modification times are the reverse of the name times.
	for i, name := range older {
		fx.putBackup(name, fakes.GoodDump(name), bkStart.Add(-time.Duration(i+1)*time.Hour))
	}
	res := fx.run(t)
	require.Equal(t, bkFirstName, res.File)

	want := []string{
		"auth_db_backup_00-01_28-02-2026.dump",
		"auth_db_backup_05-06_04-03-2026.dump",
		"auth_db_backup_23-59_27-02-2026.dump",
	}
	assert.Equal(t, want, fx.periodic(), "the newest by the time in the name survive")
	assert.ElementsMatch(t, older[:5], res.Rotated)
	for _, name := range older[:5] {
		assert.False(t, fx.has(name+".sha256"), "%s lost its sidecar", name)
		assert.Len(t, fx.linesWith("ROTATED "+name), 1)
	}
	for _, name := range want {
		fx.requireSidecar(t, name)
	}
}

func TestBackupRotationAcrossBoundariesByRuns(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first time.Time
		want  []string // sorted
	}{
		{"day", time.Date(2026, 3, 3, 23, 58, 0, 0, time.UTC), []string{
			"auth_db_backup_00-01_04-03-2026.dump",
			"auth_db_backup_00-02_04-03-2026.dump",
			"auth_db_backup_23-59_03-03-2026.dump",
		}},
		{"month", time.Date(2026, 1, 31, 23, 58, 0, 0, time.UTC), []string{
			"auth_db_backup_00-01_01-02-2026.dump",
			"auth_db_backup_00-02_01-02-2026.dump",
			"auth_db_backup_23-59_31-01-2026.dump",
		}},
		{"year", time.Date(2025, 12, 31, 23, 58, 0, 0, time.UTC), []string{
			"auth_db_backup_00-01_01-01-2026.dump",
			"auth_db_backup_00-02_01-01-2026.dump",
			"auth_db_backup_23-59_31-12-2025.dump",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newBackups(t, bkConfig())
			fx.clock.Advance(tc.first.Sub(fx.clock.Now()))
			var made []string
			for _, step := range []time.Duration{0, time.Minute, 2 * time.Minute, time.Minute} {
				fx.clock.Advance(step)
				made = append(made, fx.run(t).File)
			}
			assert.Equal(t, tc.want, fx.periodic())
			assert.False(t, fx.has(made[0]), "the oldest by time (%s) is rotated", made[0])
			assert.False(t, fx.has(made[0]+".sha256"))
		})
	}
}

func TestBackupSameMinuteGetsSuffix(t *testing.T) {
	cfg := bkConfig()
	cfg.Keep = 2
	fx := newBackups(t, cfg)
	fx.script(bkGood("one"), bkGood("two"), bkGood("three"))

	r1 := fx.run(t)
	r2 := fx.run(t)
	assert.Equal(t, bkFirstName, r1.File)
	assert.Equal(t, "auth_db_backup_05-06_04-03-2026_2.dump", r2.File)
	assert.Empty(t, r2.Rotated)
	d1, _ := fx.files.Get(r1.File)
	d2, _ := fx.files.Get(r2.File)
	assert.Equal(t, fakes.GoodDump("one"), d1, "nothing overwritten")
	assert.Equal(t, fakes.GoodDump("two"), d2)
	fx.requireSidecar(t, r1.File)
	fx.requireSidecar(t, r2.File)

	r3 := fx.run(t)
	assert.Equal(t, "auth_db_backup_05-06_04-03-2026_3.dump", r3.File)
	assert.Equal(t, []string{bkFirstName}, r3.Rotated, "_3 is newer than _2, which is newer than the base")
	assert.Equal(t, []string{
		"auth_db_backup_05-06_04-03-2026_2.dump",
		"auth_db_backup_05-06_04-03-2026_3.dump",
	}, fx.periodic())
	d2, _ = fx.files.Get(r2.File)
	d3, _ := fx.files.Get(r3.File)
	assert.Equal(t, fakes.GoodDump("two"), d2)
	assert.Equal(t, fakes.GoodDump("three"), d3)
	fx.requireSidecar(t, r3.File)
	assert.False(t, fx.has(bkFirstName+".sha256"))
}

func TestBackupSameMinuteSuffixesOrderNumerically(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.putBackup(bkFirstName, fakes.GoodDump("base"), bkStart)
	for n := 2; n <= 11; n++ {
		name := fmt.Sprintf("auth_db_backup_05-06_04-03-2026_%d.dump", n)
		fx.putBackup(name, fakes.GoodDump(name), bkStart)
	}
	res := fx.run(t)
	require.Equal(t, "auth_db_backup_05-06_04-03-2026_12.dump", res.File)
	// By letters _9 > _8 > _7 > ... > _12 > _11 > _10; by number _12 is
	// the newest.
	assert.Equal(t, []string{
		"auth_db_backup_05-06_04-03-2026_10.dump",
		"auth_db_backup_05-06_04-03-2026_11.dump",
		"auth_db_backup_05-06_04-03-2026_12.dump",
	}, fx.periodic())
}

// Once rotation has removed the base name of a minute, a further run in
// that minute must not produce a dump that rotation then ranks oldest and
// removes at once: a successful run always keeps the dump it just made.
func TestBackupSameMinuteRunKeepsItsOwnDump(t *testing.T) {
	cfg := bkConfig()
	cfg.Keep = 1
	fx := newBackups(t, cfg)
	fx.script(bkGood("one"), bkGood("two"), bkGood("three"))

	assert.Equal(t, bkFirstName, fx.run(t).File)
	r2 := fx.run(t)
	assert.Equal(t, "auth_db_backup_05-06_04-03-2026_2.dump", r2.File)
	assert.Equal(t, []string{bkFirstName}, r2.Rotated)

	r3 := fx.run(t)
	assert.NotContains(t, r3.Rotated, r3.File, "the run rotated out the dump it had just made")
	data, ok := fx.files.Get(r3.File)
	assert.True(t, ok, "the newest dump %s is gone", r3.File)
	assert.Equal(t, fakes.GoodDump("three"), data)
	var kept []byte
	for _, name := range fx.periodic() {
		kept, _ = fx.files.Get(name)
	}
	assert.Equal(t, fakes.GoodDump("three"), kept, "with Keep=1 the newest dump must be the one kept")
}

func TestBackupLeavesForeignFilesAlone(t *testing.T) {
	fx := newBackups(t, bkConfig())
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	foreign := []string{
		"notes.txt",
		"auth_db_backup_05-06_04-03-2026.dump.bak",
		"auth_db_backup_5-06_04-03-2026.dump",
		"auth_db_backup_05-06_04-03-26.dump",
		"AUTH_DB_BACKUP_05-06_04-03-2026.dump",
		"auth_db_backup_01-00_01-01-2020.dump.sha256", // sidecar of nothing
		"auth_db_backup_99-99_99-99-2020.dump",        // shaped like a name, but no time
		"auth_db_backup_01-00_01-01-2020_0.dump",
		"auth_db_backup_01-00_01-01-2020.sql",
		"auth_db_backup_tmp_abc123.partial",     // no leading dot
		".auth_db_backup_tmp_abc123.partial.gz", // not a temporary name
		"cron.log",
	}
	for _, name := range foreign {
		fx.files.Put(name, fakes.GoodDump(name), old)
	}
	fx.putBackup(bkInitial, fakes.GoodDump("initial"), old)
	fx.putBackup("auth_db_safety_2026-01-01_00-00-00.dump", fakes.GoodDump("safety"), old)
	dirs := []string{"auth_db_backup_01-00_01-01-2020.dump", bkFirstName, ".auth_db_backup_tmp_dir.partial"}
	for _, d := range dirs {
		fx.files.AddDir(d)
	}
	before := fx.snapshot()

	var made []string
	for i := range 10 {
		res := fx.run(t)
		if i == 0 {
			assert.Equal(t, "auth_db_backup_05-06_04-03-2026_2.dump", res.File,
				"a subfolder with the name is not overwritten")
		}
		made = append(made, res.File)
		fx.clock.Advance(time.Minute)
	}

	after := fx.snapshot()
	for name, data := range before {
		assert.Equal(t, data, after[name], "%s was touched", name)
	}
	for _, name := range made[:7] {
		assert.False(t, fx.has(name), "%s should be rotated", name)
	}
	for _, name := range made[7:] {
		fx.requireSidecar(t, name)
	}
	list, err := fx.files.List(context.Background())
	require.NoError(t, err)
	var gotDirs []string
	for _, f := range list {
		if f.Dir {
			gotDirs = append(gotDirs, f.Name)
		}
	}
	assert.ElementsMatch(t, dirs, gotDirs)
	assert.Empty(t, fx.linesWith("SWEPT"))
}

func TestBackupKeepOne(t *testing.T) {
	cfg := bkConfig()
	cfg.Keep = 1
	fx := newBackups(t, cfg)
	_, done, err := fx.b.EnsureInitial(context.Background())
	require.NoError(t, err)
	require.True(t, done)

	var last string
	for range 4 {
		fx.clock.Advance(time.Minute)
		last = fx.run(t).File
	}
	assert.Equal(t, []string{last}, fx.periodic())
	fx.requireSidecar(t, last)
	fx.requireSidecar(t, bkInitial)
	assert.ElementsMatch(t, []string{bkInitial, bkInitial + ".sha256", last, last + ".sha256"}, fx.files.Names())
}

func TestBackupTenRunsKeepExactlyKeep(t *testing.T) {
	fx := newBackups(t, bkConfig())
	ctx := context.Background()
	_, done, err := fx.b.EnsureInitial(ctx)
	require.NoError(t, err)
	require.True(t, done)

	var made []string
	for i := range 10 {
		res := fx.run(t)
		made = append(made, res.File)
		assert.LessOrEqual(t, len(fx.periodic()), 3, "after run %d", i+1)
		fx.clock.Advance(time.Minute)
	}

	kept := made[7:]
	assert.ElementsMatch(t, kept, fx.periodic())
	for _, name := range kept {
		fx.requireSidecar(t, name)
	}
	for _, name := range made[:7] {
		assert.False(t, fx.has(name), "%s should be rotated", name)
		assert.False(t, fx.has(name+".sha256"), "%s kept its sidecar", name)
	}
	want := []string{bkInitial, bkInitial + ".sha256"}
	for _, name := range kept {
		want = append(want, name, name+".sha256")
	}
	assert.ElementsMatch(t, want, fx.files.Names())
	assert.Len(t, fx.linesWith("ROTATED"), 7)
	assert.Empty(t, fx.temps())
}

func TestBackupSkipsWhenLockBusy(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.lock.Busy = true

	res, err := fx.b.RunPeriodic(context.Background())
	require.NoError(t, err, "a skipped run is not a failure")
	assert.True(t, res.Skipped)
	assert.Zero(t, fx.dumper.DumpCalls())
	assert.Len(t, fx.linesWith("SKIPPED"), 1)
	assert.Empty(t, fx.files.Names())
}

func TestBackupNowWithBusyLockLeavesStateAlone(t *testing.T) {
	fx := newBackups(t, bkConfig())
	ctx := context.Background()
	_, err := fx.b.Now(ctx)
	require.NoError(t, err)
	before := fx.b.State()
	files := fx.snapshot()

	fx.clock.Advance(time.Hour)
	fx.lock.Busy = true
	res, err := fx.b.Now(ctx)
	require.NoError(t, err)
	assert.True(t, res.Skipped)
	assert.Equal(t, before, fx.b.State())
	assert.Equal(t, files, fx.snapshot())
	assert.Equal(t, 1, fx.dumper.DumpCalls())
}

func TestBackupSweepsStaleTemporaryFiles(t *testing.T) {
	fx := newBackups(t, bkConfig())
	stale := []string{".auth_db_backup_tmp_abc123.partial", ".auth_db_backup_tmp_AAAAAAAAAAAAAAAA.partial"}
	for _, name := range stale {
		fx.files.Put(name, []byte("DUMP half"), bkStart.Add(-time.Hour))
	}

	res := fx.run(t)
	assert.Equal(t, bkFirstName, res.File)
	assert.Empty(t, fx.temps())
	for _, name := range stale {
		assert.Len(t, fx.linesWith("SWEPT"+" leftover temporary file "+name), 1, "log: %q", fx.files.Lines())
	}
	assert.Equal(t, []string{bkFirstName, bkFirstName + ".sha256"}, fx.files.Names())
}

func TestBackupEnsureInitialWritesOnce(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.script(bkGood("initial"), bkGood("periodic"))
	ctx := context.Background()

	written, done, err := fx.b.EnsureInitial(ctx)
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, bkInitial, written.File, "this call wrote it and says so")
	assert.Equal(t, int64(len(fakes.GoodDump("initial"))), written.Size)
	assert.True(t, fx.state.Done)
	assert.Equal(t, 1, fx.dumper.DumpCalls())
	assert.Equal(t, []ports.DumpFormat{ports.FormatPlain}, fx.rec.dumpFormats())
	data, ok := fx.files.Get(bkInitial)
	require.True(t, ok)
	assert.Equal(t, fakes.GoodDump("initial"), data)
	fx.requireSidecar(t, bkInitial)
	assert.Equal(t, []string{bkInitial, bkInitial + ".sha256"}, fx.files.Names())

	written, done, err = fx.b.EnsureInitial(ctx)
	require.NoError(t, err)
	assert.True(t, done)
	assert.Empty(t, written.File, "nothing written by the second call")
	assert.Equal(t, 1, fx.dumper.DumpCalls(), "a second call does not dump again")

	// Periodic runs are custom-format and never rotate the initial dump.
	for range 5 {
		fx.run(t)
		fx.clock.Advance(time.Minute)
	}
	assert.Equal(t, ports.FormatCustom, fx.rec.dumpFormats()[1])
	got, _ := fx.files.Get(bkInitial)
	assert.Equal(t, data, got)
	fx.requireSidecar(t, bkInitial)
}

func TestBackupEnsureInitialKeepsExistingVerifiedFile(t *testing.T) {
	fx := newBackups(t, bkConfig())
	data := fakes.GoodDump("from an earlier database")
	fx.putBackup(bkInitial, data, bkStart.Add(-24*time.Hour))
	before := fx.snapshot()

	_, done, err := fx.b.EnsureInitial(context.Background())
	require.NoError(t, err)
	assert.True(t, done)
	assert.True(t, fx.state.Done)
	assert.Zero(t, fx.dumper.DumpCalls())
	assert.Equal(t, before, fx.snapshot(), "the initial dump is kept byte-identical")
}

func TestBackupEnsureInitialDumpFails(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.script(bkFail(errBkDump))

	_, done, err := fx.b.EnsureInitial(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection to server failed")
	assert.False(t, done)
	assert.False(t, fx.state.Done)
	assert.Empty(t, fx.files.Names(), "no initial file, no temporary file")
	assert.Len(t, fx.linesWith("FAILED initial backup"), 1)
}

func TestBackupEnsureInitialLockBusy(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.lock.Busy = true

	_, done, err := fx.b.EnsureInitial(context.Background())
	require.NoError(t, err)
	assert.False(t, done)
	assert.False(t, fx.state.Done)
	assert.Zero(t, fx.dumper.DumpCalls())
	assert.Empty(t, fx.files.Names())
}

func TestBackupVerify(t *testing.T) {
	ctx := context.Background()
	name := "auth_db_backup_04-06_04-03-2026.dump"

	t.Run("good", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		fx.putBackup(name, fakes.GoodDump("x"), bkStart)
		assert.NoError(t, fx.b.Verify(ctx, name))
	})
	t.Run("written by a run", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		res := fx.run(t)
		assert.NoError(t, fx.b.Verify(ctx, res.File))
		_, _, err := fx.b.EnsureInitial(ctx)
		require.NoError(t, err)
		assert.NoError(t, fx.b.Verify(ctx, bkInitial))
	})
	t.Run("missing sidecar", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		fx.files.Put(name, fakes.GoodDump("x"), bkStart)
		err := fx.b.Verify(ctx, name)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "checksum")
	})
	t.Run("tampered", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		data := fakes.GoodDump("xyz")
		fx.putBackup(name, data, bkStart)
		data[6] ^= 0x01 // still starts with DUMP and ends with END
		fx.files.Put(name, data, bkStart)
		err := fx.b.Verify(ctx, name)
		require.Error(t, err)
		assert.Regexp(t, "damaged|checksum", err.Error())
	})
	t.Run("unreadable with a valid sidecar", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		fx.putBackup(name, []byte("garbage"), bkStart)
		err := fx.b.Verify(ctx, name)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not a readable dump")
	})
	t.Run("sidecar for another file", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		data := fakes.GoodDump("x")
		fx.files.Put(name, data, bkStart)
		fx.files.Put(name+".sha256", bkSidecar("other.dump", data), bkStart)
		assert.Error(t, fx.b.Verify(ctx, name))
	})
	t.Run("missing file", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		assert.Error(t, fx.b.Verify(ctx, name))
	})
	t.Run("neither dump nor sql", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		fx.putBackup("notes.txt", fakes.GoodDump("x"), bkStart)
		assert.Error(t, fx.b.Verify(ctx, "notes.txt"))
	})
}

func bkSafetyNames(fx *bkFix) []string {
	var out []string
	for _, n := range fx.files.Names() {
		if strings.HasPrefix(n, "auth_db_safety_") && strings.HasSuffix(n, ".dump") {
			out = append(out, n)
		}
	}
	return out
}

func TestBackupRestoreRefusesDamagedFile(t *testing.T) {
	fx := newBackups(t, bkConfig())
	name := "auth_db_backup_04-06_04-03-2026.dump"
	data := fakes.GoodDump("abc")
	fx.putBackup(name, data, bkStart)
	data[5] = 'X'
	fx.files.Put(name, data, bkStart)

	_, err := fx.b.Restore(context.Background(), name)
	require.Error(t, err)
	assert.Regexp(t, "damaged|checksum", err.Error())
	assert.Empty(t, fx.dumper.Restored, "nothing restored")
	assert.Zero(t, fx.dumper.DumpCalls(), "no safety dump for a refused restore")
	assert.Empty(t, bkSafetyNames(fx))
}

func TestBackupRestoreTakesSafetyDumpFirst(t *testing.T) {
	cfg := bkConfig()
	cfg.Keep = 1
	fx := newBackups(t, cfg)
	name := "auth_db_backup_04-06_04-03-2026.dump"
	old := fakes.GoodDump("old state")
	fx.putBackup(name, old, bkStart.Add(-time.Hour))
	fx.script(bkGood("current state"))
	var atRestore []string
	fx.rec.onRestore = func() { atRestore = bkSafetyNames(fx) }

	safety, err := fx.b.Restore(context.Background(), name)
	require.NoError(t, err)
	assert.Equal(t, "auth_db_safety_2026-03-04_05-06-00.dump", safety)
	assert.Equal(t, []string{safety}, atRestore, "the safety dump exists before the restore starts")
	data, _ := fx.files.Get(safety)
	assert.Equal(t, fakes.GoodDump("current state"), data)
	fx.requireSidecar(t, safety)
	assert.Equal(t, []ports.DumpFormat{ports.FormatCustom}, fx.rec.dumpFormats())
	assert.Equal(t, [][]byte{old}, fx.dumper.Restored, "restored from exactly the file's bytes")

	// The safety dump is exempt from rotation.
	for range 3 {
		fx.clock.Advance(time.Minute)
		fx.run(t)
	}
	assert.Len(t, fx.periodic(), 1)
	assert.True(t, fx.has(safety))
	fx.requireSidecar(t, safety)
}

func TestBackupRestorePlainSQL(t *testing.T) {
	fx := newBackups(t, bkConfig())
	ctx := context.Background()
	fx.script(bkGood("initial"), bkGood("safety"))
	_, _, err := fx.b.EnsureInitial(ctx)
	require.NoError(t, err)

	_, err = fx.b.Restore(ctx, bkInitial)
	require.NoError(t, err)
	assert.Equal(t, [][]byte{fakes.GoodDump("initial")}, fx.dumper.Restored)
}

func TestBackupRestoreFailureKeepsSafetyDump(t *testing.T) {
	fx := newBackups(t, bkConfig())
	name := "auth_db_backup_04-06_04-03-2026.dump"
	fx.putBackup(name, fakes.GoodDump("old"), bkStart.Add(-time.Hour))
	fx.dumper.RestoreErr = errors.New("pg_restore: relation does not exist")

	safety, err := fx.b.Restore(context.Background(), name)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "relation does not exist")
	require.NotEmpty(t, safety)
	assert.True(t, fx.has(safety), "the safety dump stays")
	fx.requireSidecar(t, safety)
	assert.Empty(t, fx.dumper.Restored)
	assert.Len(t, fx.linesWith("FAILED restore"), 1)
}

func TestBackupRestoreLockBusy(t *testing.T) {
	fx := newBackups(t, bkConfig())
	name := "auth_db_backup_04-06_04-03-2026.dump"
	fx.putBackup(name, fakes.GoodDump("old"), bkStart)
	fx.lock.Busy = true

	_, err := fx.b.Restore(context.Background(), name)
	require.ErrorIs(t, err, application.ErrBackupRunning)
	assert.Empty(t, fx.dumper.Restored)
	assert.Zero(t, fx.dumper.DumpCalls())
}

func TestBackupListNewestFirst(t *testing.T) {
	fx := newBackups(t, bkConfig())
	ctx := context.Background()
	p1 := "auth_db_backup_23-59_31-12-2025.dump"
	p2 := "auth_db_backup_00-01_01-01-2026.dump"
	p3 := "auth_db_backup_04-06_04-03-2026.dump"
	safety := "auth_db_safety_2026-02-01_10-00-00.dump"
	// Modification times disagree with the name times of periodic dumps.
	fx.putBackup(p1, fakes.GoodDump("p1"), bkStart)
	fx.putBackup(p2, fakes.GoodDump("p2"), bkStart.Add(-time.Hour))
	fx.files.Put(p3, fakes.GoodDump("p3"), bkStart.Add(-2*time.Hour)) // no sidecar
	fx.putBackup(bkInitial, fakes.GoodDump("initial"), time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
	fx.putBackup(safety, fakes.GoodDump("safety"), time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC))
	fx.files.Put("notes.txt", []byte("hello"), bkStart)
	fx.files.Put("AUTH_DB_BACKUP_05-06_04-03-2026.dump", fakes.GoodDump("x"), bkStart)
	fx.files.Put("auth_db_backup_05-06_04-03-2026.dump.bak", fakes.GoodDump("x"), bkStart)
	fx.files.AddDir("auth_db_backup_05-06_04-03-2026.dump")

	list, err := fx.b.List(ctx)
	require.NoError(t, err)
	var names []string
	for _, info := range list {
		names = append(names, info.Name)
	}
	require.Equal(t, []string{p3, safety, p2, p1, bkInitial}, names)

	kinds := map[string]application.BackupKind{
		p1: application.KindPeriodic, p2: application.KindPeriodic, p3: application.KindPeriodic,
		safety: application.KindSafety, bkInitial: application.KindInitial,
	}
	for _, info := range list {
		assert.Equal(t, kinds[info.Name], info.Kind, info.Name)
		data, _ := fx.files.Get(info.Name)
		assert.Equal(t, int64(len(data)), info.Size, info.Name)
		if info.Name == p3 {
			assert.Empty(t, info.Checksum, "no sidecar, no checksum")
			continue
		}
		sum := sha256.Sum256(data)
		assert.Equal(t, hex.EncodeToString(sum[:]), info.Checksum, info.Name)
	}
	assert.True(t, list[0].Time.Equal(time.Date(2026, 3, 4, 4, 6, 0, 0, time.UTC)), "periodic time from the name")
}

// The real folder lists names in byte order (os.ReadDir), which puts the
// base name before its _2, _3 variants; List must still put the newest
// first, as rotation does.
func TestBackupListSameMinuteNewestFirst(t *testing.T) {
	fx := newBackupsWith(t, bkConfig(), func(f *fakes.Files) ports.BackupFiles { return bkSortedFiles{f} })
	for range 3 {
		fx.run(t)
	}
	list, err := fx.b.List(context.Background())
	require.NoError(t, err)
	var names []string
	for _, info := range list {
		names = append(names, info.Name)
	}
	assert.Equal(t, []string{
		"auth_db_backup_05-06_04-03-2026_3.dump",
		"auth_db_backup_05-06_04-03-2026_2.dump",
		bkFirstName,
	}, names)
}

func TestBackupStatus(t *testing.T) {
	ctx := context.Background()
	maxAge := time.Hour

	t.Run("no backups", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		_, _, err := fx.b.EnsureInitial(ctx) // the initial dump is not a periodic one
		require.NoError(t, err)
		st, err := fx.b.Status(ctx, maxAge)
		require.NoError(t, err)
		assert.False(t, st.Fresh)
		assert.NotEmpty(t, st.Reason)
		assert.Nil(t, st.Newest)
	})
	t.Run("fresh", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		_, err := fx.b.Now(ctx)
		require.NoError(t, err)
		fx.clock.Advance(59 * time.Minute)
		st, err := fx.b.Status(ctx, maxAge)
		require.NoError(t, err)
		assert.True(t, st.Fresh, st.Reason)
		assert.True(t, st.CheckedSum)
		require.NotNil(t, st.Newest)
		assert.Equal(t, bkFirstName, st.Newest.Name)
		assert.True(t, st.State.LastSuccessAt.Equal(bkStart))
	})
	t.Run("too old", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		fx.run(t)
		fx.clock.Advance(2*time.Hour + 30*time.Minute)
		st, err := fx.b.Status(ctx, maxAge)
		require.NoError(t, err)
		assert.False(t, st.Fresh)
		assert.Contains(t, st.Reason, "2h30m0s")
		assert.Contains(t, st.Reason, bkFirstName)
	})
	t.Run("newest by name time is the one checked", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		// A fresh-looking modification time does not make an old dump fresh.
		fx.putBackup("auth_db_backup_23-59_31-12-2025.dump", fakes.GoodDump("old"), bkStart)
		st, err := fx.b.Status(ctx, maxAge)
		require.NoError(t, err)
		assert.False(t, st.Fresh)
	})
	t.Run("newest damaged", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		fx.putBackup("auth_db_backup_04-36_04-03-2026.dump", fakes.GoodDump("older"), bkStart)
		res := fx.run(t)
		fx.files.Put(res.File, fakes.GoodDump("changed"), bkStart)
		st, err := fx.b.Status(ctx, maxAge)
		require.NoError(t, err)
		assert.False(t, st.Fresh)
		assert.False(t, st.CheckedSum)
		assert.Regexp(t, "damaged|checksum", st.Reason)
	})
	t.Run("newest without sidecar", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		fx.files.Put(bkFirstName, fakes.GoodDump("x"), bkStart)
		st, err := fx.b.Status(ctx, maxAge)
		require.NoError(t, err)
		assert.False(t, st.Fresh)
		assert.NotEmpty(t, st.Reason)
	})
}

func TestBackupNamesUseConfiguredZone(t *testing.T) {
	cfg := bkConfig()
	cfg.Location = time.FixedZone("UTC-3", -3*60*60)
	fx := newBackups(t, cfg)
	assert.Equal(t, "auth_db_backup_02-06_04-03-2026.dump", fx.b.PeriodicName(bkStart))
	res := fx.run(t)
	assert.Equal(t, "auth_db_backup_02-06_04-03-2026.dump", res.File)

	// 01:00 local on 4 March is 04:00 UTC, older than 02:06 local.
	fx.putBackup("auth_db_backup_01-00_04-03-2026.dump", fakes.GoodDump("a"), bkStart)
	fx.putBackup("auth_db_backup_01-30_04-03-2026.dump", fakes.GoodDump("b"), bkStart)
	fx.putBackup("auth_db_backup_23-00_03-03-2026.dump", fakes.GoodDump("c"), bkStart)
	fx.clock.Advance(time.Minute)
	res = fx.run(t)
	assert.ElementsMatch(t, []string{
		"auth_db_backup_01-00_04-03-2026.dump",
		"auth_db_backup_23-00_03-03-2026.dump",
	}, res.Rotated)
	st, err := fx.b.Status(context.Background(), time.Hour)
	require.NoError(t, err)
	assert.True(t, st.Fresh, st.Reason)
}

func TestBackupPeriodicNameFormat(t *testing.T) {
	fx := newBackups(t, bkConfig())
	assert.Equal(t, "auth_db_backup_23-59_31-12-2025.dump",
		fx.b.PeriodicName(time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)))
	assert.Equal(t, "auth_db_backup_00-01_01-01-2026.dump",
		fx.b.PeriodicName(time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)))
	assert.Equal(t, bkFirstName, fx.b.PeriodicName(bkStart))
}

func TestBackupLockFailureIsRetriedLikeAFailedDump(t *testing.T) {
	t.Run("database back before the retries run out", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		fx.lock.Failures = 1
		res, err := fx.b.RunPeriodic(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 2, res.Attempts)
		assert.Equal(t, []time.Duration{10 * time.Second}, fx.sleeper.Delays)
		log := strings.Join(fx.files.Lines(), "\n")
		assert.Contains(t, log, "START periodic backup")
		assert.Contains(t, log, "FAILED attempt 1 of 3: take the backup lock")
		assert.Contains(t, log, "OK "+res.File)
	})
	t.Run("database down throughout", func(t *testing.T) {
		fx := newBackups(t, bkConfig())
		fx.lock.Failures = 100
		_, err := fx.b.RunPeriodic(t.Context())
		require.Error(t, err)
		assert.Zero(t, fx.dumper.DumpCalls(), "no dump without the lock")
		log := strings.Join(fx.files.Lines(), "\n")
		assert.Contains(t, log, "FAILED attempt 3 of 3")
		assert.Contains(t, log, "FAILED periodic backup after 3 attempts")
		assert.Equal(t, []time.Duration{10 * time.Second, 20 * time.Second}, fx.sleeper.Delays)
	})
}

func TestBackupNewDumpSurvivesNamesAheadOfTheClock(t *testing.T) {
	fx := newBackups(t, bkConfig())
	ahead := fx.clock.Now().Add(14 * time.Hour) // written under another BACKUP_TZ
	for i := 0; i < 3; i++ {
		fx.putBackup(fx.b.PeriodicName(ahead.Add(time.Duration(i)*time.Minute)),
			fakes.GoodDump("ahead"), fx.clock.Now())
	}
	stray := "auth_db_backup_00-00_01-01-2099.dump" // no sidecar: not ours
	fx.files.Put(stray, []byte("junk"), fx.clock.Now())

	res := fx.run(t)
	assert.True(t, fx.has(res.File), "the dump just written is kept")
	assert.True(t, fx.has(stray), "a file without a sidecar is not ours to remove")
	assert.Len(t, fx.periodic(), 4, "Keep (3) counts the new dump; the stray is left alone")

	st, err := fx.b.Status(t.Context(), time.Hour)
	require.NoError(t, err)
	assert.True(t, st.Fresh)
	fx.clock.Advance(2 * time.Hour)
	st, err = fx.b.Status(t.Context(), time.Hour)
	require.NoError(t, err)
	assert.False(t, st.Fresh, "a name ahead of the clock does not make an old file fresh")
}

func TestBackupRestoreEndsSessionsAndResetTokens(t *testing.T) {
	fx := newBackups(t, bkConfig())
	res := fx.run(t)
	_, err := fx.b.Restore(t.Context(), res.File)
	require.NoError(t, err)
	assert.Equal(t, 1, fx.state.Restores, "tokens of the restored database are ended")
}

func TestBackupRunsAndRestoresAreAudited(t *testing.T) {
	fx := newBackups(t, bkConfig())
	admin := "00000000-0000-4000-8000-000000000001"
	res, err := fx.b.NowBy(t.Context(), admin, "192.0.2.7")
	require.NoError(t, err)
	_, err = fx.b.Restore(t.Context(), res.File)
	require.NoError(t, err)
	fx.script(fakes.DumpStep{Err: errors.New("pg_dump: no")})
	_, err = fx.b.Now(t.Context())
	require.Error(t, err)

	require.Equal(t, []string{domain.AuditBackupRun, domain.AuditBackupRestore, domain.AuditBackupRun},
		fx.audit.Actions())
	events := fx.audit.Events
	assert.Equal(t, admin, events[0].ActorID)
	assert.Equal(t, "192.0.2.7", events[0].IP)
	assert.Equal(t, res.File, events[0].TargetID)
	assert.Equal(t, res.File, events[1].TargetID)
	assert.Equal(t, "failed", events[2].Details["outcome"])
}

func TestBackupToolOlderThanServerIsNamed(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.dumper.Tool, fx.dumper.Server = 14, 15
	err := fx.b.CheckTools(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pg_dump 14")
	assert.Contains(t, err.Error(), "PostgreSQL 15")

	fx.dumper.Tool = 16
	assert.NoError(t, fx.b.CheckTools(t.Context()), "a newer pg_dump is fine")
}

// The sidecar is read as sha256sum -c reads it, and never says less.
func TestBackupSidecarForms(t *testing.T) {
	ctx := context.Background()
	name := "auth_db_backup_04-06_04-03-2026.dump"
	data := fakes.GoodDump("x")
	good := string(bkSidecar(name, data))
	sum := strings.Fields(good)[0]
	cases := map[string]struct {
		sidecar string
		ok      bool
	}{
		"text mode":             {good, true},
		"binary mode":           {sum + " *" + name + "\n", true},
		"no newline":            {sum + "  " + name, true},
		"upper case sum":        {strings.ToUpper(sum) + "  " + name + "\n", true},
		"a second line":         {good + strings.Repeat("0", 64) + "  " + name + "\n", false},
		"another file's name":   {sum + "  other.dump\n", false},
		"one space only":        {sum + " " + name + "\n", false},
		"short sum":             {sum[:63] + "  " + name + "\n", false},
		"empty":                 {"", false},
		"wrong sum, good shape": {strings.Repeat("0", 64) + "  " + name + "\n", false},
	}
	for label, c := range cases {
		t.Run(label, func(t *testing.T) {
			fx := newBackups(t, bkConfig())
			fx.files.Put(name, data, bkStart)
			fx.files.Put(name+".sha256", []byte(c.sidecar), bkStart)

			err := fx.b.Verify(ctx, name)

			if c.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// A run whose outcome cannot be recorded (a full disk) fails loudly, so
// status and metrics never quietly show the run before it.
func TestBackupRunThatCannotBeRecordedFails(t *testing.T) {
	fx := newBackups(t, bkConfig())
	fx.files.ReplaceErr = errors.New("no space left on device")

	res, err := fx.b.Now(context.Background())

	require.Error(t, err)
	assert.Contains(t, err.Error(), "no space left on device")
	assert.NotEmpty(t, res.File, "the dump itself was written and stays")
	fx.requireSidecar(t, res.File)
	assert.Len(t, fx.linesWith("FAILED to record the run"), 1)
}
