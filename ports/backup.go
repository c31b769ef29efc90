package ports

import (
	"context"
	"io"
	"time"
)

// DumpFormat is the format of a database dump.
type DumpFormat string

// The dump formats: pg_dump's custom archive, and plain SQL.
const (
	FormatCustom DumpFormat = "custom"
	FormatPlain  DumpFormat = "plain"
)

// Dumper runs the database's own dump and restore tools. Their error text
// is kept in the returned errors, with any password removed.
type Dumper interface {
	// Dump writes a dump of the whole database in format to w.
	Dump(ctx context.Context, format DumpFormat, w io.Writer) error
	// Verify reads a dump from r and fails unless it is a readable dump of
	// that format (for custom: its table of contents lists; for plain: it
	// parses as SQL and is not empty).
	Verify(ctx context.Context, format DumpFormat, r io.Reader) error
	// Restore loads the dump read from r into the database in a single
	// transaction, replacing what the dump contains; on failure nothing
	// changes.
	Restore(ctx context.Context, format DumpFormat, r io.Reader) error
	// Versions returns the major versions of the dump tool and the server.
	Versions(ctx context.Context) (tool, server int, err error)
}

// BackupFile describes one entry of the backup folder.
type BackupFile struct {
	Name    string
	Size    int64
	ModTime time.Time
	Dir     bool
}

// FileWriter is a new file being written: Sync makes what was written
// durable, Close ends it.
type FileWriter interface {
	io.Writer
	Sync() error
	Close() error
}

// BackupFiles is the backup folder. Names are plain file names inside it.
type BackupFiles interface {
	// List returns every entry of the folder (not of its subfolders).
	List(ctx context.Context) ([]BackupFile, error)
	// Create makes a new file with mode 0600; it fails when name exists.
	Create(name string) (FileWriter, error)
	// Open reads a file.
	Open(name string) (io.ReadCloser, error)
	// Rename moves from to to, failing with an error matching
	// fs.ErrExist rather than replacing when to exists.
	Rename(from, to string) error
	// Remove deletes a file.
	Remove(name string) error
	// Replace writes data to name atomically, replacing any old content.
	Replace(name string, data []byte) error
	// AppendLog adds one line to the run log, keeping its size bounded.
	AppendLog(line string) error
	// Path is where name lives, for messages.
	Path(name string) string
}

// Locker gives one process at a time, across every container, the right
// to run a backup.
type Locker interface {
	// TryLock takes the lock without waiting. ok is false when another
	// holder has it. The lock is released by release, or by the server
	// when the holder dies.
	TryLock(ctx context.Context) (release func(), ok bool, err error)
}

// Sleeper waits, so retry delays can be skipped in tests.
type Sleeper interface {
	// Sleep waits d or until ctx ends, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// BackupState is what the database remembers about backups: whether the
// initial dump it is owed has been written.
type BackupState interface {
	// InitialDone reports whether a verified initial dump exists.
	InitialDone(ctx context.Context) (bool, error)
	// MarkInitialDone records that it does.
	MarkInitialDone(ctx context.Context) error
	// AfterRestore ends every session and every unused reset token of
	// the database just restored: tokens spent or revoked after the dump
	// was taken would otherwise work again.
	AfterRestore(ctx context.Context) error
}
