package mail

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/ports"
)

// resetBody looks like a real reset mail: it holds a secret link.
const resetBody = "Bonjour Zoë,\n\n" +
	"Réinitialisez votre mot de passe : " +
	"https://app.example.test/reset-password?token=SECRET-TOKEN-42\n\n" +
	"Ce lien expire dans 30 minutes. ✓\n"

const resetSubject = "Réinitialisation du mot de passe ✓"

// newFileMailer returns a FileMailer writing into a fresh directory and
// the buffer its JSON log goes to.
func newFileMailer(t *testing.T) (*FileMailer, string, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	dir := filepath.Join(t.TempDir(), "mail")
	m, err := NewFileMailer(dir, "Auth Service <no-reply@example.test>", log)
	require.NoError(t, err)
	return m, dir, &logs
}

// readBody returns the decoded text body of msg.
func readBody(t *testing.T, msg *netmail.Message) string {
	t.Helper()
	var r io.Reader = msg.Body
	switch cte := strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")); cte {
	case "quoted-printable":
		r = quotedprintable.NewReader(msg.Body)
	case "", "7bit", "8bit":
	default:
		t.Fatalf("unexpected Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// decodeHeader decodes RFC 2047 words in a header value.
func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	require.NoError(t, err)
	return s
}

func TestFileMailerWritesOneEml(t *testing.T) {
	m, dir, logs := newFileMailer(t)

	err := m.Send(context.Background(), ports.MailMessage{
		To:      "Zoë Martin <zoe@users.example.test>",
		Subject: resetSubject,
		Body:    resetBody,
	})
	require.NoError(t, err)

	dirInfo, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dirInfo.Mode().Perm())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "exactly one file, no temporary leftovers")
	name := entries[0].Name()
	assert.Regexp(t, `^\d{8}T\d{6}\.\d{9}Z-[0-9a-f]{16}\.eml$`, name)

	info, err := entries[0].Info()
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	f, err := os.Open(filepath.Join(dir, name))
	require.NoError(t, err)
	defer f.Close()
	msg, err := netmail.ReadMessage(f)
	require.NoError(t, err)

	to, err := msg.Header.AddressList("To")
	require.NoError(t, err)
	require.Len(t, to, 1)
	assert.Equal(t, "zoe@users.example.test", to[0].Address)
	assert.Equal(t, "Zoë Martin", to[0].Name)

	from, err := msg.Header.AddressList("From")
	require.NoError(t, err)
	require.Len(t, from, 1)
	assert.Equal(t, "no-reply@example.test", from[0].Address)

	assert.Equal(t, resetSubject, decodeHeader(t, msg.Header.Get("Subject")))
	_, err = msg.Header.Date()
	assert.NoError(t, err, "Date header")
	assert.Regexp(t, `^<[0-9a-f]+@example\.test>$`, msg.Header.Get("Message-ID"))
	assert.Equal(t, "1.0", msg.Header.Get("MIME-Version"))

	ct, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	assert.Equal(t, "text/plain", ct)
	assert.Equal(t, "utf-8", strings.ToLower(params["charset"]))
	assert.Equal(t, resetBody, readBody(t, msg))

	// The log says what happened but keeps the secret parts out.
	out := logs.String()
	assert.Contains(t, out, `"msg":"mail written"`)
	assert.Contains(t, out, name)
	assert.Contains(t, out, "users.example.test")
	assert.NotContains(t, out, "SECRET-TOKEN-42")
	assert.NotContains(t, out, "reset-password")
	assert.NotContains(t, out, "Réinitialisation")
	assert.NotContains(t, out, "zoe@")
}

func TestFileMailerRefusesBadMessages(t *testing.T) {
	tests := []struct {
		name string
		msg  ports.MailMessage
	}{
		{"CRLF in recipient", ports.MailMessage{
			To: "a@example.test\r\nBcc: victim@example.test", Subject: "s", Body: "b"}},
		{"LF in recipient", ports.MailMessage{
			To: "a@example.test\nBcc: victim@example.test", Subject: "s", Body: "b"}},
		{"CR in recipient", ports.MailMessage{
			To: "a@example.test\rX: y", Subject: "s", Body: "b"}},
		{"CRLF in subject", ports.MailMessage{
			To: "a@example.test", Subject: "hi\r\nBcc: victim@example.test", Body: "b"}},
		{"two recipients", ports.MailMessage{
			To: "a@example.test, b@example.test", Subject: "s", Body: "b"}},
		{"not an address", ports.MailMessage{
			To: "not an address", Subject: "s", Body: "b"}},
		{"empty recipient", ports.MailMessage{Subject: "s", Body: "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, dir, logs := newFileMailer(t)

			err := m.Send(context.Background(), tt.msg)

			assert.Error(t, err)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing written")
			assert.Empty(t, logs.String())
		})
	}
}

func TestFileMailerCancelledContext(t *testing.T) {
	m, dir, _ := newFileMailer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := m.Send(ctx, ports.MailMessage{To: "a@example.test", Subject: "s", Body: "b"})

	assert.ErrorIs(t, err, context.Canceled)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestFileMailerConcurrentSends(t *testing.T) {
	m, dir, _ := newFileMailer(t)
	const n = 20

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- m.Send(context.Background(), ports.MailMessage{
				To: "a@example.test", Subject: "s", Body: "b"})
		})
	}
	wg.Wait()
	close(errs)

	for err := range errs {
		require.NoError(t, err)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, n)
	for _, e := range entries {
		assert.True(t, strings.HasSuffix(e.Name(), ".eml"), e.Name())
	}
}

func TestNewFileMailerValidates(t *testing.T) {
	_, err := NewFileMailer("", "a@example.test", nil)
	assert.ErrorContains(t, err, "MAIL_DIR")

	_, err = NewFileMailer(t.TempDir(), "not an address", nil)
	assert.Error(t, err)

	// A path below a regular file cannot be created.
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = NewFileMailer(filepath.Join(file, "mail"), "a@example.test", nil)
	assert.ErrorContains(t, err, "MAIL_DIR")
}
