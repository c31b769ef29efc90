package mail

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/ports"
)

// smtpSession is what the fake server saw on one connection.
type smtpSession struct {
	auth     []string // AUTH command lines and their continuations
	mailFrom string
	rcpts    []string
	data     string // the message as received, dot-unstuffed
}

// fakeSMTP is a tiny SMTP server on 127.0.0.1 that speaks just enough
// of the protocol for go-mail: no STARTTLS, AUTH PLAIN, one message per
// transaction. Each finished connection is reported on sessions.
type fakeSMTP struct {
	host     string
	port     int
	rcptCode int // reply to RCPT TO; 250 unless set
	authCode int // reply to AUTH; 235 unless set
	sessions chan smtpSession
}

// startFakeSMTP starts a fake server that lives until the test ends.
// configure, when not nil, adjusts it before it accepts anything.
func startFakeSMTP(t *testing.T, configure func(*fakeSMTP)) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().(*net.TCPAddr)
	s := &fakeSMTP{
		host:     "127.0.0.1",
		port:     addr.Port,
		rcptCode: 250,
		authCode: 235,
		sessions: make(chan smtpSession, 16),
	}
	if configure != nil {
		configure(s)
	}

	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(conn) })
		}
	})
	return s
}

// serve speaks SMTP on conn until QUIT, an error or five seconds.
func (s *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	tp := textproto.NewConn(conn)
	var sess smtpSession
	defer func() { s.sessions <- sess }()

	reply := func(format string, args ...any) bool {
		return tp.PrintfLine(format, args...) == nil
	}
	if !reply("220 fake.test ESMTP ready") {
		return
	}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		var ok bool
		switch strings.ToUpper(verb) {
		case "EHLO":
			ok = reply("250-fake.test greets you") &&
				reply("250-AUTH PLAIN") &&
				reply("250 SIZE 1048576")
		case "HELO", "NOOP", "RSET":
			ok = reply("250 OK")
		case "AUTH":
			sess.auth = append(sess.auth, line)
			if mech, initial, _ := strings.Cut(arg, " "); mech == "PLAIN" && initial == "" {
				if !reply("334 ") {
					return
				}
				cont, err := tp.ReadLine()
				if err != nil {
					return
				}
				sess.auth = append(sess.auth, cont)
			}
			if s.authCode == 235 {
				ok = reply("235 2.7.0 Authentication successful")
			} else {
				ok = reply("%d 5.7.8 Authentication credentials invalid", s.authCode)
			}
		case "MAIL":
			sess.mailFrom = arg
			ok = reply("250 2.1.0 OK")
		case "RCPT":
			if s.rcptCode == 250 {
				sess.rcpts = append(sess.rcpts, arg)
				ok = reply("250 2.1.5 OK")
			} else {
				ok = reply("%d 5.1.1 No such user here", s.rcptCode)
			}
		case "DATA":
			if !reply("354 End data with <CR><LF>.<CR><LF>") {
				return
			}
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			sess.data = string(b)
			ok = reply("250 2.0.0 Queued")
		case "QUIT":
			_ = reply("221 2.0.0 Bye")
			return
		default:
			ok = reply("502 5.5.2 Command not recognized")
		}
		if !ok {
			return
		}
	}
}

// next returns the next finished session, failing after a few seconds.
func (s *fakeSMTP) next(t *testing.T) smtpSession {
	t.Helper()
	select {
	case sess := <-s.sessions:
		return sess
	case <-time.After(5 * time.Second):
		t.Fatal("the fake SMTP server saw no session")
		return smtpSession{}
	}
}

// config returns an SMTPConfig that points at s.
func (s *fakeSMTP) config() SMTPConfig {
	return SMTPConfig{
		Host:    s.host,
		Port:    s.port,
		From:    "Auth Service <no-reply@example.test>",
		Timeout: 3 * time.Second,
	}
}

func TestSMTPMailerDelivers(t *testing.T) {
	tests := []struct {
		name     string
		username string
		password string
		wantAuth bool
	}{
		{name: "without username no AUTH"},
		{name: "with username AUTH PLAIN", username: "mailer",
			password: "s3cret-pw", wantAuth: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startFakeSMTP(t, nil)
			cfg := srv.config()
			cfg.Username, cfg.Password = tt.username, tt.password
			var logs bytes.Buffer
			m, err := NewSMTPMailer(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
			require.NoError(t, err)

			err = m.Send(context.Background(), ports.MailMessage{
				To:      "Zoë Martin <zoe@users.example.test>",
				Subject: resetSubject,
				Body:    resetBody,
			})
			require.NoError(t, err)

			sess := srv.next(t)
			assert.Equal(t, "FROM:<no-reply@example.test>", sess.mailFrom)
			assert.Equal(t, []string{"TO:<zoe@users.example.test>"}, sess.rcpts)
			if tt.wantAuth {
				require.NotEmpty(t, sess.auth)
				creds := sess.auth[len(sess.auth)-1]
				creds = creds[strings.LastIndexByte(creds, ' ')+1:]
				raw, err := base64.StdEncoding.DecodeString(creds)
				require.NoError(t, err)
				assert.Equal(t, "\x00mailer\x00s3cret-pw", string(raw))
			} else {
				assert.Empty(t, sess.auth, "no AUTH without a username")
			}

			msg, err := netmail.ReadMessage(strings.NewReader(sess.data))
			require.NoError(t, err)
			to, err := msg.Header.AddressList("To")
			require.NoError(t, err)
			require.Len(t, to, 1)
			assert.Equal(t, "zoe@users.example.test", to[0].Address)
			assert.Equal(t, resetSubject, decodeHeader(t, msg.Header.Get("Subject")))
			assert.Equal(t, resetBody, readBody(t, msg))

			out := logs.String()
			assert.NotContains(t, out, "SECRET-TOKEN-42")
			assert.NotContains(t, out, "Réinitialisation")
			assert.NotContains(t, out, "s3cret")
		})
	}
}

func TestSMTPMailerConcurrentSends(t *testing.T) {
	srv := startFakeSMTP(t, nil)
	m, err := NewSMTPMailer(srv.config(), nil)
	require.NoError(t, err)
	const n = 5

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- m.Send(context.Background(), ports.MailMessage{
				To:      "user" + strconv.Itoa(i) + "@example.test",
				Subject: "s",
				Body:    "b",
			})
		})
	}
	wg.Wait()
	close(errs)

	for err := range errs {
		require.NoError(t, err)
	}
	for range n {
		assert.Len(t, srv.next(t).rcpts, 1)
	}
}

func TestSMTPMailerServerRefuses(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*fakeSMTP)
		username  string
	}{
		{name: "550 on RCPT", configure: func(s *fakeSMTP) { s.rcptCode = 550 }},
		{name: "535 on AUTH", configure: func(s *fakeSMTP) { s.authCode = 535 },
			username: "mailer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startFakeSMTP(t, tt.configure)
			cfg := srv.config()
			cfg.Username, cfg.Password = tt.username, "s3cret-pw"
			m, err := NewSMTPMailer(cfg, nil)
			require.NoError(t, err)

			err = m.Send(context.Background(), ports.MailMessage{
				To: "nobody@example.test", Subject: "s", Body: "b"})

			require.Error(t, err)
			assert.NotContains(t, err.Error(), "s3cret-pw")
			assert.Contains(t, err.Error(), srv.host)
			assert.Empty(t, srv.next(t).data, "no message was accepted")
		})
	}
}

func TestSMTPMailerUnreachable(t *testing.T) {
	// A port that was just free: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())

	m, err := NewSMTPMailer(SMTPConfig{
		Host:     "127.0.0.1",
		Port:     port,
		Username: "mailer",
		Password: "s3cret-pw",
		From:     "no-reply@example.test",
		Timeout:  500 * time.Millisecond,
	}, nil)
	require.NoError(t, err)

	start := time.Now()
	err = m.Send(context.Background(), ports.MailMessage{
		To: "a@example.test", Subject: "s", Body: "b"})

	require.Error(t, err)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.NotContains(t, err.Error(), "s3cret-pw")
}

func TestSMTPMailerSilentServerTimesOut(t *testing.T) {
	// The server accepts the connection but never greets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = conn.Read(make([]byte, 1)) // until the client gives up
	})

	m, err := NewSMTPMailer(SMTPConfig{
		Host:    "127.0.0.1",
		Port:    ln.Addr().(*net.TCPAddr).Port,
		From:    "no-reply@example.test",
		Timeout: 300 * time.Millisecond,
	}, nil)
	require.NoError(t, err)

	start := time.Now()
	err = m.Send(context.Background(), ports.MailMessage{
		To: "a@example.test", Subject: "s", Body: "b"})

	require.Error(t, err)
	var netErr net.Error
	assert.True(t, errors.As(err, &netErr) && netErr.Timeout(),
		"want a timeout, got %v", err)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestSMTPMailerRefusesBadRecipient(t *testing.T) {
	srv := startFakeSMTP(t, nil)
	m, err := NewSMTPMailer(srv.config(), nil)
	require.NoError(t, err)

	err = m.Send(context.Background(), ports.MailMessage{
		To: "a@example.test\r\nBcc: victim@example.test", Subject: "s", Body: "b"})

	assert.ErrorContains(t, err, "line break")
	select {
	case <-srv.sessions:
		t.Fatal("the server was contacted")
	case <-time.After(50 * time.Millisecond):
	}
}

func TestNewSMTPMailerValidates(t *testing.T) {
	valid := SMTPConfig{
		Host:     "smtp.example.test",
		Port:     587,
		Username: "mailer",
		Password: "s3cret-pw",
		From:     "no-reply@example.test",
	}
	tests := []struct {
		name    string
		change  func(*SMTPConfig)
		wantErr string
	}{
		{"valid", func(*SMTPConfig) {}, ""},
		{"default port", func(c *SMTPConfig) { c.Port = 0 }, ""},
		{"no username", func(c *SMTPConfig) { c.Username, c.Password = "", "" }, ""},
		{"missing host", func(c *SMTPConfig) { c.Host = "" }, "SMTP_HOST"},
		{"missing from", func(c *SMTPConfig) { c.From = "" }, "SMTP_FROM"},
		{"bad from", func(c *SMTPConfig) { c.From = "no-reply" }, "SMTP_FROM"},
		{"from with line break", func(c *SMTPConfig) {
			c.From = "a@example.test\r\nBcc: b@example.test"
		}, "SMTP_FROM"},
		{"port too large", func(c *SMTPConfig) { c.Port = 70000 }, "SMTP_PORT"},
		{"negative port", func(c *SMTPConfig) { c.Port = -1 }, "SMTP_PORT"},
		{"negative timeout", func(c *SMTPConfig) { c.Timeout = -time.Second }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)

			m, err := NewSMTPMailer(cfg, nil)

			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.NotNil(t, m)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "s3cret-pw")
		})
	}
}
