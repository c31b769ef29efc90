package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	netmail "net/mail"
	"os"
	"path/filepath"
	"time"

	gomail "github.com/wneessen/go-mail"

	"auth-service/ports"
)

var _ ports.Mailer = (*FileMailer)(nil)

// FileMailer writes each message as an RFC 5322 .eml file into one
// directory, for development: nothing leaves the machine. It is safe for
// concurrent use.
type FileMailer struct {
	dir  string
	from *netmail.Address
	log  *slog.Logger
}

// NewFileMailer returns a FileMailer that writes into dir, creating it
// with mode 0700 when missing, and sends from the address from. It
// returns an error when dir is empty or cannot be created, or when from
// is not one mail address. A nil log discards.
func NewFileMailer(dir, from string, log *slog.Logger) (*FileMailer, error) {
	if dir == "" {
		return nil, errors.New("MAIL_DIR is empty")
	}
	sender, err := parseFrom(from, "mail sender")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: create MAIL_DIR: %w", err)
	}
	return &FileMailer{dir: dir, from: sender, log: orDiscard(log)}, nil
}

// Send writes msg as a new file named "<UTC time>-<random hex>.eml" with
// mode 0600. The file appears whole or not at all: it is written under a
// temporary name and then renamed. Send returns an error for a recipient
// that is not one address or holds a line break, a subject holding a line
// break, a done ctx, or a failed write. It logs the file name and the
// recipient's domain, never the subject or body.
func (f *FileMailer) Send(ctx context.Context, msg ports.MailMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := buildMessage(f.from, msg, gomail.NoEncoding) // 8bit: links stay whole for a reader
	if err != nil {
		return err
	}

	name := time.Now().UTC().Format("20060102T150405.000000000Z") +
		"-" + randomHex(8) + ".eml"
	if err := f.writeAtomic(name, m); err != nil {
		return err
	}

	f.log.InfoContext(ctx, "mail written",
		"file", name,
		"to_domain", recipientDomain(msg.To))
	return nil
}

// writeAtomic writes m to a temporary file in the mail directory, syncs
// it and renames it to name, removing the temporary file on any failure.
func (f *FileMailer) writeAtomic(name string, m io.WriterTo) (err error) {
	tmp, err := os.CreateTemp(f.dir, ".mail-*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("mail: create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()

	if _, err = m.WriteTo(tmp); err != nil {
		return fmt.Errorf("mail: write message: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("mail: sync message: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("mail: close message: %w", err)
	}
	if err = os.Rename(tmp.Name(), filepath.Join(f.dir, name)); err != nil {
		return fmt.Errorf("mail: rename message: %w", err)
	}
	return nil
}
