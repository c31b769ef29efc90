// Package backupfs is the backup folder on the local file system.
package backupfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"auth-service/ports"
)

// LogName is the run log inside the folder; MaxLogBytes bounds it: when a
// line would take it past the bound, it moves to LogName.1, replacing the
// previous one.
const (
	LogName     = "cron.log"
	MaxLogBytes = 1 << 20
)

// Dir is a backup folder.
type Dir struct {
	path string
	mu   sync.Mutex // serialises log appends within the process
}

var _ ports.BackupFiles = (*Dir)(nil)

// New returns the folder at path, creating it with mode 0700 when missing.
func New(path string) (*Dir, error) {
	if path == "" {
		return nil, errors.New("BACKUP_DIR is empty")
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("BACKUP_DIR %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("BACKUP_DIR %s: %w", path, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("BACKUP_DIR %s is not a directory", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		// An existing folder (a git checkout's, a bind mount) may be open to
		// others; dumps hold every password hash, so close it when we may.
		_ = os.Chmod(path, 0o700)
	}
	return &Dir{path: path}, nil
}

// Existing returns a folder that must exist already, changing nothing on
// it: for reading a backup kept outside BACKUP_DIR.
func Existing(path string) (*Dir, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", path)
	}
	return &Dir{path: path}, nil
}

// Path is where name lives.
func (d *Dir) Path(name string) string { return filepath.Join(d.path, name) }

// name refuses anything but a plain file name, so no caller can reach
// outside the folder.
func (d *Dir) name(n string) (string, error) {
	if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) || strings.ContainsRune(n, 0) {
		return "", fmt.Errorf("%q is not a file name inside the backup folder", n)
	}
	return filepath.Join(d.path, n), nil
}

// List returns the entries of the folder.
func (d *Dir) List(context.Context) ([]ports.BackupFile, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, err
	}
	out := make([]ports.BackupFile, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, ports.BackupFile{
			Name:    e.Name(),
			Size:    info.Size(),
			ModTime: info.ModTime(),
			Dir:     e.IsDir() || !info.Mode().IsRegular(),
		})
	}
	return out, nil
}

// Create makes a new file with mode 0600, failing when it exists.
func (d *Dir) Create(n string) (ports.FileWriter, error) {
	p, err := d.name(n)
	if err != nil {
		return nil, err
	}
	return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// Open reads a regular file of the folder. A symbolic link (which could
// lead out of the folder), a device or a pipe is refused: reading one could
// take forever.
func (d *Dir) Open(n string) (io.ReadCloser, error) {
	p, err := d.name(n)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link; only regular files are read", n)
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("%s is not a regular file", n)
	}
	return f, nil
}

// Rename gives from the name to without ever replacing an existing to:
// a hard link fails when to exists, and only then is from unlinked.
func (d *Dir) Rename(from, to string) error {
	src, err := d.name(from)
	if err != nil {
		return err
	}
	dst, err := d.name(to)
	if err != nil {
		return err
	}
	if err := os.Link(src, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists: %w", to, fs.ErrExist)
		}
		return err
	}
	if err := os.Remove(src); err != nil {
		return err
	}
	return syncDir(d.path)
}

// Remove deletes a file.
func (d *Dir) Remove(n string) error {
	p, err := d.name(n)
	if err != nil {
		return err
	}
	return os.Remove(p)
}

// Replace writes data to a temporary file and renames it over n.
func (d *Dir) Replace(n string, data []byte) error {
	p, err := d.name(n)
	if err != nil {
		return err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	tmp := p + "." + hex.EncodeToString(b[:]) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// AppendLog adds a line to cron.log, moving a full log to cron.log.1.
func (d *Dir) AppendLog(line string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := filepath.Join(d.path, LogName)
	if st, err := os.Stat(p); err == nil && st.Size()+int64(len(line))+1 > MaxLogBytes {
		if err := os.Rename(p, p+".1"); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strings.TrimRight(line, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not every file system syncs directories
	return nil
}

// Sleeper waits on the real clock.
type Sleeper struct{}

var _ ports.Sleeper = Sleeper{}

// NewSleeper returns the real-clock sleeper.
func NewSleeper() Sleeper { return Sleeper{} }

// Sleep waits d or until ctx ends.
func (Sleeper) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
