package mail

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/ports"
)

func TestNew(t *testing.T) {
	smtp := SMTPConfig{Host: "smtp.example.test", Port: 587, From: "no-reply@example.test"}
	tests := []struct {
		name       string
		mode       string
		from       string
		smtp       SMTPConfig
		production bool
		wantType   ports.Mailer
		wantErr    string
	}{
		{name: "file in development", mode: "file", wantType: (*FileMailer)(nil)},
		{name: "file in production", mode: "file", production: true,
			wantErr: "MAIL_MODE"},
		{name: "smtp in production", mode: "smtp", smtp: smtp, production: true,
			wantType: (*SMTPMailer)(nil)},
		{name: "smtp takes from when SMTP_FROM is empty", mode: "smtp",
			from: "no-reply@example.test", smtp: SMTPConfig{Host: "smtp.example.test"},
			wantType: (*SMTPMailer)(nil)},
		{name: "smtp without host", mode: "smtp",
			smtp: SMTPConfig{From: "no-reply@example.test"}, wantErr: "SMTP_HOST"},
		{name: "unknown mode", mode: "pigeon", wantErr: "MAIL_MODE"},
		{name: "empty mode", mode: "", wantErr: "MAIL_MODE"},
		{name: "mode is case sensitive", mode: "SMTP", smtp: smtp, wantErr: "MAIL_MODE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "mail")

			m, err := New(tt.mode, dir, tt.from, tt.smtp, tt.production, nil)

			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Nil(t, m)
				_, statErr := os.Stat(dir)
				assert.ErrorIs(t, statErr, os.ErrNotExist, "no directory made")
				return
			}
			require.NoError(t, err)
			assert.IsType(t, tt.wantType, m)
		})
	}
}

func TestNewFileModeDefaultSender(t *testing.T) {
	dir := t.TempDir()
	m, err := New("file", dir, "", SMTPConfig{}, false, nil)
	require.NoError(t, err)

	err = m.Send(context.Background(), ports.MailMessage{
		To: "a@example.test", Subject: "s", Body: "b"})
	require.NoError(t, err)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	raw, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `From: "auth-service" <no-reply@localhost>`)
}
