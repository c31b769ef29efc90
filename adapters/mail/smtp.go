package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"

	"auth-service/ports"
)

var _ ports.Mailer = (*SMTPMailer)(nil)

// DefaultSMTPTimeout bounds one delivery when SMTPConfig.Timeout is zero.
const DefaultSMTPTimeout = 15 * time.Second

// SMTPConfig says how to reach the SMTP server (SMTP_* settings).
type SMTPConfig struct {
	// Host is the server name; it is also the name checked by TLS.
	Host string
	// Port is the server port. Zero means 587, falling back to 25 when
	// 587 cannot be reached.
	Port int
	// Username enables SMTP AUTH (PLAIN, else LOGIN) when not empty.
	Username string
	// Password goes with Username. It never appears in errors or logs.
	Password string
	// From is the sender address, for example
	// "auth-service <no-reply@example.com>".
	From string
	// Timeout bounds connecting and each step of a delivery; zero means
	// DefaultSMTPTimeout.
	Timeout time.Duration
}

// SMTPMailer delivers each message over its own SMTP connection. It uses
// STARTTLS whenever the server offers it and authenticates only when a
// username is configured; go-mail refuses to send a password over a
// connection that is neither encrypted nor to localhost. It is safe for
// concurrent use.
type SMTPMailer struct {
	cfg  SMTPConfig
	from *netmail.Address
	log  *slog.Logger
}

// NewSMTPMailer checks cfg and returns an SMTPMailer. It returns an error
// naming the setting when the host or sender is missing, the sender is
// not one mail address, the port is out of range or the timeout is
// negative. It does not contact the server. A nil log discards.
func NewSMTPMailer(cfg SMTPConfig, log *slog.Logger) (*SMTPMailer, error) {
	if cfg.Host == "" {
		return nil, errors.New("SMTP_HOST is required when MAIL_MODE=smtp")
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("SMTP_PORT %d is out of range", cfg.Port)
	}
	if cfg.From == "" {
		return nil, errors.New("SMTP_FROM is required when MAIL_MODE=smtp")
	}
	from, err := parseFrom(cfg.From, "SMTP_FROM")
	if err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("SMTP timeout is negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	return &SMTPMailer{cfg: cfg, from: from, log: orDiscard(log)}, nil
}

// Send delivers msg and waits for the server to accept it. It returns an
// error for a recipient that is not one address or holds a line break,
// a subject holding a line break, or a failed connection, STARTTLS,
// authentication or delivery; the error names the server but never the
// password. It logs the recipient's domain, never the subject or body.
func (s *SMTPMailer) Send(ctx context.Context, msg ports.MailMessage) error {
	m, err := buildMessage(s.from, msg, gomail.EncodingQP)
	if err != nil {
		return err
	}
	client, err := s.client()
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("mail: smtp delivery via %s: %w", client.ServerAddr(), err)
	}

	s.log.InfoContext(ctx, "mail sent", "to_domain", recipientDomain(msg.To))
	return nil
}

// client builds a go-mail client for one delivery. A fresh client per
// Send keeps concurrent sends apart: go-mail's client holds per-session
// state.
func (s *SMTPMailer) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithTimeout(s.cfg.Timeout)}
	if s.cfg.Port == 0 {
		// 587 with STARTTLS if offered, falling back to port 25.
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSOpportunistic))
	} else {
		// WithTLSPortPolicy would move an explicit port 25 to 587, so an
		// explicit port gets only the policy.
		opts = append(opts,
			gomail.WithPort(s.cfg.Port),
			gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.cfg.Username != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password))
	}

	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp client for %s: %w", s.cfg.Host, err)
	}
	return c, nil
}
