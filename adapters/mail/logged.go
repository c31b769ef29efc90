package mail

import (
	"context"
	"log/slog"
	"strings"

	"auth-service/ports"
)

// Logged wraps a Mailer so that a failed delivery is logged at ERROR with
// the recipient's domain and the error, never the message.
type Logged struct {
	next ports.Mailer
	log  *slog.Logger
}

var _ ports.Mailer = (*Logged)(nil)

// NewLogged returns next with failures logged.
func NewLogged(next ports.Mailer, log *slog.Logger) *Logged {
	return &Logged{next: next, log: log}
}

// Send delivers msg and logs a failure before returning it.
func (l *Logged) Send(ctx context.Context, msg ports.MailMessage) error {
	err := l.next.Send(ctx, msg)
	if err != nil {
		_, domain, _ := strings.Cut(msg.To, "@")
		l.log.ErrorContext(ctx, "mail delivery failed", "to_domain", domain, "error", err.Error())
	}
	return err
}
