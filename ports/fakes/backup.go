package fakes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"auth-service/ports"
)

var (
	_ ports.Dumper      = (*Dumper)(nil)
	_ ports.BackupFiles = (*Files)(nil)
	_ ports.Locker      = (*Locker)(nil)
	_ ports.BackupState = (*BackupState)(nil)
	_ ports.Sleeper     = (*Sleeper)(nil)
)

// Dumper is a scripted dump tool. Each Dump call takes the next step of
// Script (the last one repeats); a step writes Write bytes, then fails
// with Err when set. Verify accepts what starts with "DUMP" and ends with
// "END"; Restore records what it was given into Restored.
type Dumper struct {
	mu           sync.Mutex
	Script       []DumpStep
	Calls        int
	Restored     [][]byte
	RestoreErr   error
	Tool, Server int
}

// DumpStep is one scripted Dump outcome.
type DumpStep struct {
	Write []byte
	Err   error
}

// GoodDump is content the fake Verify accepts.
func GoodDump(tag string) []byte { return []byte("DUMP " + tag + " END") }

// Dump plays the next scripted step.
func (d *Dumper) Dump(_ context.Context, _ ports.DumpFormat, w io.Writer) error {
	d.mu.Lock()
	step := DumpStep{Write: GoodDump("default")}
	if len(d.Script) > 0 {
		step = d.Script[min(d.Calls, len(d.Script)-1)]
	}
	d.Calls++
	d.mu.Unlock()
	if len(step.Write) > 0 {
		if _, err := w.Write(step.Write); err != nil {
			return err
		}
	}
	return step.Err
}

// Verify accepts content that starts with DUMP and ends with END.
func (d *Dumper) Verify(_ context.Context, _ ports.DumpFormat, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(b, []byte("DUMP")) || !bytes.HasSuffix(b, []byte("END")) {
		return errors.New("fake dumper: not a complete dump")
	}
	return nil
}

// Restore records the dump, or fails with RestoreErr.
func (d *Dumper) Restore(_ context.Context, _ ports.DumpFormat, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.RestoreErr != nil {
		return d.RestoreErr
	}
	d.Restored = append(d.Restored, b)
	return nil
}

// Versions returns Tool and Server.
func (d *Dumper) Versions(context.Context) (int, int, error) { return d.Tool, d.Server, nil }

// DumpCalls returns how many dumps were attempted.
func (d *Dumper) DumpCalls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Calls
}

// Files is an in-memory backup folder. Subfolders can be added with
// AddDir; Log holds the appended log lines.
type Files struct {
	mu    sync.Mutex
	clock ports.Clock
	files map[string]*memFile
	dirs  map[string]bool
	Log   []string
	// ReplaceErr, when set, fails every Replace (a full disk).
	ReplaceErr error
}

type memFile struct {
	data    []byte
	modTime time.Time
}

// NewFiles returns an empty folder whose file times come from clock.
func NewFiles(clock ports.Clock) *Files {
	return &Files{clock: clock, files: map[string]*memFile{}, dirs: map[string]bool{}}
}

// Put stores a file with the given content and modification time.
func (f *Files) Put(name string, data []byte, mod time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[name] = &memFile{data: append([]byte(nil), data...), modTime: mod}
}

// AddDir adds a subfolder.
func (f *Files) AddDir(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dirs[name] = true
}

// Get returns a file's content.
func (f *Files) Get(name string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.files[name]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), m.data...), true
}

// Names returns the file names, sorted.
func (f *Files) Names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lines returns the log lines.
func (f *Files) Lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.Log...)
}

// List returns the files and subfolders.
func (f *Files) List(context.Context) ([]ports.BackupFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ports.BackupFile
	for n, m := range f.files {
		out = append(out, ports.BackupFile{Name: n, Size: int64(len(m.data)), ModTime: m.modTime})
	}
	for n := range f.dirs {
		out = append(out, ports.BackupFile{Name: n, Dir: true})
	}
	return out, nil
}

type memWriter struct {
	f    *Files
	name string
}

func (w *memWriter) Write(p []byte) (int, error) {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	if m, ok := w.f.files[w.name]; ok {
		m.data = append(m.data, p...)
	}
	return len(p), nil
}

func (w *memWriter) Sync() error  { return nil }
func (w *memWriter) Close() error { return nil }

// Create makes an empty file, failing when it exists.
func (f *Files) Create(name string) (ports.FileWriter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.files[name]; ok || f.dirs[name] {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrExist)
	}
	f.files[name] = &memFile{modTime: f.clock.Now()}
	return &memWriter{f: f, name: name}, nil
}

// Open reads a file.
func (f *Files) Open(name string) (io.ReadCloser, error) {
	data, ok := f.Get(name)
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Rename moves a file, never over an existing one.
func (f *Files) Rename(from, to string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.files[from]
	if !ok {
		return fmt.Errorf("%s: %w", from, fs.ErrNotExist)
	}
	if _, ok := f.files[to]; ok || f.dirs[to] {
		return fmt.Errorf("%s: %w", to, fs.ErrExist)
	}
	delete(f.files, from)
	f.files[to] = m
	return nil
}

// Remove deletes a file.
func (f *Files) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.files[name]; !ok {
		return fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	delete(f.files, name)
	return nil
}

// Replace sets a file's content.
func (f *Files) Replace(name string, data []byte) error {
	if f.ReplaceErr != nil {
		return f.ReplaceErr
	}
	f.Put(name, data, f.clock.Now())
	return nil
}

// AppendLog records a line.
func (f *Files) AppendLog(line string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Log = append(f.Log, strings.TrimRight(line, "\n"))
	return nil
}

// Path returns the name under a fake root.
func (f *Files) Path(name string) string { return "/fake-backups/" + name }

// Locker is an in-process lock; Busy makes TryLock report another holder,
// and Failures makes that many calls fail as a database that is down.
type Locker struct {
	mu       sync.Mutex
	held     bool
	Busy     bool
	Failures int
}

// TryLock takes the lock unless it is held or Busy.
func (l *Locker) TryLock(context.Context) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Failures > 0 {
		l.Failures--
		return nil, false, errors.New("fake lock: connection refused")
	}
	if l.held || l.Busy {
		return nil, false, nil
	}
	l.held = true
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.held = false
	}, true, nil
}

// BackupState remembers the initial-dump flag.
type BackupState struct {
	mu       sync.Mutex
	Done     bool
	Restores int
}

// InitialDone reports the flag.
func (s *BackupState) InitialDone(context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Done, nil
}

// MarkInitialDone sets the flag.
func (s *BackupState) MarkInitialDone(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Done = true
	return nil
}

// AfterRestore counts its calls.
func (s *BackupState) AfterRestore(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Restores++
	return nil
}

// Sleeper advances Clock instead of waiting and records the delays.
type Sleeper struct {
	mu     sync.Mutex
	Clock  *Clock
	Delays []time.Duration
}

// Sleep records d and moves the clock.
func (s *Sleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.Delays = append(s.Delays, d)
	s.mu.Unlock()
	if s.Clock != nil {
		s.Clock.Advance(d)
	}
	return nil
}
