package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"auth-service/application"
	"auth-service/domain"
)

// backupTimeout bounds a backup run for an HTTP caller.
const backupTimeout = 20 * time.Second

type backupJSON struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Time     time.Time `json:"time"`
	Size     int64     `json:"size"`
	Checksum string    `json:"checksum"`
}

func toBackupJSON(b application.BackupInfo) backupJSON {
	return backupJSON{b.Name, string(b.Kind), b.Time.UTC(), b.Size, b.Checksum}
}

func (s *Server) listBackups(w http.ResponseWriter, r *http.Request) {
	list, err := s.backups.List(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	items := make([]backupJSON, len(list))
	for i, b := range list {
		items[i] = toBackupJSON(b)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

var (
	errBackupRunning = domain.NewError(domain.ErrConflict, "backup_running",
		"a backup is already running")
	errDumpFailed = &httpError{status: http.StatusServiceUnavailable, code: "backup_failed",
		detail: "the dump failed; the backup log has the tool's error"}
)

func (s *Server) runBackup(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r)
	// One attempt, bounded well inside the server's write timeout, so the
	// client hears 503 rather than a dropped connection.
	ctx, cancel := context.WithTimeout(r.Context(), backupTimeout)
	defer cancel()
	res, err := s.backups.NowBy(ctx, p.UserID, p.IP)
	switch {
	case err == nil && res.Skipped:
		writeError(w, r, errBackupRunning)
		return
	case errors.Is(err, application.ErrBackupRunning):
		writeError(w, r, errBackupRunning)
		return
	case err != nil:
		logFrom(r).Error("backup failed", "request_id", requestID(r), "error", err.Error())
		writeError(w, r, errDumpFailed)
		return
	}

	logFrom(r).Info("backup written", "request_id", requestID(r), "file", res.File,
		"size", res.Size, "sha256", res.Checksum, "duration", res.Duration.String())
	writeJSON(w, http.StatusCreated, backupJSON{
		Name: res.File, Kind: string(application.KindPeriodic),
		Time: res.Time.UTC(), Size: res.Size, Checksum: res.Checksum,
	})
}
