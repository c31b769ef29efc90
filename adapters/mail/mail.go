// Package mail delivers account mail as .eml files or over SMTP.
package mail

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"auth-service/ports"
)

// DefaultFrom is the sender that file mode uses when none is configured.
const DefaultFrom = "auth-service <no-reply@localhost>"

// New returns the Mailer that mode names: "file" writes .eml files into
// dir, "smtp" delivers through the server in smtp. For "smtp" the sender
// is smtp.From, or from when smtp.From is empty. It returns an error
// naming MAIL_MODE for an unknown mode and for "file" when production is
// true, and the constructor's error for a bad directory or SMTP setting.
func New(
	mode string,
	dir, from string,
	smtp SMTPConfig,
	production bool,
	log *slog.Logger,
) (ports.Mailer, error) {
	switch mode {
	case "file":
		if production {
			return nil, errors.New(
				"MAIL_MODE=file is refused in production; use MAIL_MODE=smtp")
		}
		if from == "" {
			from = DefaultFrom
		}
		return NewFileMailer(dir, from, log)

	case "smtp":
		if smtp.From == "" {
			smtp.From = from
		}
		return NewSMTPMailer(smtp, log)

	default:
		return nil, fmt.Errorf(
			"MAIL_MODE must be \"file\" or \"smtp\", got %q", mode)
	}
}

// buildMessage turns msg into a go-mail message from from, its body in
// the given transfer encoding. It refuses a recipient that is not one
// address and a recipient or subject holding a line break, which could
// otherwise smuggle in headers.
func buildMessage(from *netmail.Address, msg ports.MailMessage, enc gomail.Encoding) (*gomail.Msg, error) {
	if strings.ContainsAny(msg.To, "\r\n") {
		return nil, errors.New("mail: recipient contains a line break")
	}
	if strings.ContainsAny(msg.Subject, "\r\n") {
		return nil, errors.New("mail: subject contains a line break")
	}
	to, err := netmail.ParseAddress(msg.To)
	if err != nil {
		return nil, fmt.Errorf("mail: recipient is not one address: %w", err)
	}

	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithEncoding(enc))
	m.FromMailAddress(from)
	m.ToMailAddress(to)
	m.Subject(msg.Subject)
	m.SetDate()
	m.SetMessageIDWithValue(randomHex(16) + "@" + domainOf(from.Address))
	m.SetBodyString(gomail.TypeTextPlain, msg.Body)
	return m, nil
}

// parseFrom parses a configured sender address; name is the setting
// reported in the error.
func parseFrom(from, name string) (*netmail.Address, error) {
	if strings.ContainsAny(from, "\r\n") {
		return nil, fmt.Errorf("%s contains a line break", name)
	}
	a, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("%s is not a mail address: %w", name, err)
	}
	return a, nil
}

// recipientDomain returns the domain of the address in to, or "" when
// to does not parse. It is what logs may show of a recipient.
func recipientDomain(to string) string {
	a, err := netmail.ParseAddress(to)
	if err != nil {
		return ""
	}
	return domainOf(a.Address)
}

// domainOf returns the part of addr after its last "@".
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return addr[i+1:]
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// orDiscard returns log, or a logger that drops everything when log is
// nil.
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
