package backupfs

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newDir(t *testing.T) *Dir {
	d, err := New(filepath.Join(t.TempDir(), "backups"))
	require.NoError(t, err)
	return d
}

func write(t *testing.T, d *Dir, name, content string) {
	w, err := d.Create(name)
	require.NoError(t, err)
	_, err = io.WriteString(w, content)
	require.NoError(t, err)
	require.NoError(t, w.Sync())
	require.NoError(t, w.Close())
}

func TestFolderAndFileModes(t *testing.T) {
	d := newDir(t)
	st, err := os.Stat(d.path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())

	write(t, d, "a.dump", "x")
	st, err = os.Stat(d.Path("a.dump"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestCreateAndRenameNeverOverwrite(t *testing.T) {
	d := newDir(t)
	write(t, d, "old.dump", "precious")
	_, err := d.Create("old.dump")
	assert.ErrorIs(t, err, fs.ErrExist)

	write(t, d, "new.tmp", "newer")
	err = d.Rename("new.tmp", "old.dump")
	assert.ErrorIs(t, err, fs.ErrExist)
	got, err := os.ReadFile(d.Path("old.dump"))
	require.NoError(t, err)
	assert.Equal(t, "precious", string(got), "the existing file is untouched")
	_, err = os.Stat(d.Path("new.tmp"))
	assert.NoError(t, err, "the source stays when the rename is refused")

	require.NoError(t, d.Rename("new.tmp", "fresh.dump"))
	_, err = os.Stat(d.Path("new.tmp"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestNamesCannotLeaveTheFolder(t *testing.T) {
	d := newDir(t)
	for _, bad := range []string{"", ".", "..", "../x", "a/b", `a\b`, "/etc/passwd", "a\x00b"} {
		_, err := d.Create(bad)
		assert.Error(t, err, "%q", bad)
		_, err = d.Open(bad)
		assert.Error(t, err, "%q", bad)
		assert.Error(t, d.Remove(bad), "%q", bad)
	}
}

func TestListMarksFoldersAndReplaceIsAtomic(t *testing.T) {
	d := newDir(t)
	require.NoError(t, os.Mkdir(d.Path("sub.dump"), 0o700))
	require.NoError(t, d.Replace("state.json", []byte(`{"a":1}`)))
	require.NoError(t, d.Replace("state.json", []byte(`{"a":2}`)))
	list, err := d.List(context.Background())
	require.NoError(t, err)
	kinds := map[string]bool{}
	for _, f := range list {
		kinds[f.Name] = f.Dir
	}
	assert.Equal(t, map[string]bool{"sub.dump": true, "state.json": false}, kinds)
	got, err := os.ReadFile(d.Path("state.json"))
	require.NoError(t, err)
	assert.Equal(t, `{"a":2}`, string(got))
}

func TestLogIsBounded(t *testing.T) {
	d := newDir(t)
	line := strings.Repeat("x", 1000)
	for i := 0; i < 2*MaxLogBytes/1000+10; i++ {
		require.NoError(t, d.AppendLog(line))
	}
	st, err := os.Stat(d.Path(LogName))
	require.NoError(t, err)
	assert.LessOrEqual(t, st.Size(), int64(MaxLogBytes))
	old, err := os.Stat(d.Path(LogName + ".1"))
	require.NoError(t, err)
	assert.LessOrEqual(t, old.Size(), int64(MaxLogBytes))
}

func TestExistingOpenFolderIsClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backups")
	require.NoError(t, os.Mkdir(path, 0o755))
	require.NoError(t, os.Chmod(path, 0o755))
	_, err := New(path)
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
}

func TestOpenReadsOnlyRegularFiles(t *testing.T) {
	d := newDir(t)
	outside := filepath.Join(t.TempDir(), "real.dump")
	require.NoError(t, os.WriteFile(outside, []byte("x"), 0o600))
	require.NoError(t, os.Symlink(outside, d.Path("link.dump")))
	require.NoError(t, os.Symlink("/dev/zero", d.Path("zero.dump")))
	require.NoError(t, syscall.Mkfifo(d.Path("fifo.dump"), 0o600))
	require.NoError(t, os.Mkdir(d.Path("dir.dump"), 0o700))

	for _, name := range []string{"link.dump", "zero.dump", "fifo.dump", "dir.dump"} {
		_, err := d.Open(name)
		assert.Error(t, err, name)
	}
	write(t, d, "ok.dump", "x")
	r, err := d.Open("ok.dump")
	require.NoError(t, err)
	require.NoError(t, r.Close())
}
