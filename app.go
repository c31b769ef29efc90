// Package authservice is the composition root: it turns a Config into the
// running service. wire.go declares the graph; wire_gen.go is generated.
package authservice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"auth-service/adapters/backupfs"
	"auth-service/adapters/clock"
	"auth-service/adapters/config"
	"auth-service/adapters/hashing"
	"auth-service/adapters/httpapi"
	"auth-service/adapters/mail"
	"auth-service/adapters/metrics"
	"auth-service/adapters/pgdump"
	"auth-service/adapters/postgres"
	"auth-service/adapters/random"
	"auth-service/adapters/scheduler"
	"auth-service/adapters/tokens"
	"auth-service/application"
	"auth-service/ports"
)

// App is everything `serve` needs, built by InitializeApp.
type App struct {
	Config    config.Config
	Log       *slog.Logger
	Migrator  *postgres.Migrator
	Bootstrap *application.Bootstrap
	Admin     *application.Admin
	Backups   *application.Backups
	HTTP      *httpapi.Server
}

// BackupApp is everything the backup commands need.
type BackupApp struct {
	Config   config.Config
	Backups  *application.Backups
	Schedule *scheduler.Schedule
}

// NewBackupApp gathers the parts of the backup commands.
func NewBackupApp(cfg config.Config, b *application.Backups, s *scheduler.Schedule) *BackupApp {
	return &BackupApp{Config: cfg, Backups: b, Schedule: s}
}

// ProvideBackupConfig maps the BACKUP_* settings onto the backup policy.
func ProvideBackupConfig(cfg config.Config) (application.BackupConfig, error) {
	loc, err := time.LoadLocation(cfg.BackupTZ)
	if err != nil {
		return application.BackupConfig{}, fmt.Errorf("BACKUP_TZ: %w", err)
	}
	return application.BackupConfig{
		Keep:       cfg.BackupKeep,
		Retries:    cfg.BackupRetries,
		RetryDelay: cfg.BackupRetryDelay,
		Location:   loc,
	}, nil
}

// ProvideSchedule parses BACKUP_SCHEDULE in BACKUP_TZ.
func ProvideSchedule(cfg application.BackupConfig, c config.Config) (*scheduler.Schedule, error) {
	return scheduler.Parse(c.BackupSchedule, cfg.Location)
}

// ProvideBackupDir opens BACKUP_DIR, creating it with mode 0700.
func ProvideBackupDir(cfg config.Config) (*backupfs.Dir, error) {
	return backupfs.New(cfg.BackupDir)
}

// ProvideDumper finds pg_dump, pg_restore and psql for the database. When
// they are missing the service still starts; every backup then fails with
// the reason, and the backup commands stop on it.
func ProvideDumper(cfg config.Config, log *slog.Logger) (ports.Dumper, error) {
	// Every dump of this service's database creates its accounts table; a
	// dump that does not is of another database and is never restored.
	t, err := pgdump.New(pgdump.Config{URL: cfg.DSN(), RequireTable: "public.users"}, log)
	if errors.Is(err, pgdump.ErrToolNotFound) {
		return missingTools{err}, nil
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

var _ ports.Dumper = missingTools{}

// missingTools is the Dumper of a machine without the PostgreSQL client
// tools: it says so on every call.
type missingTools struct{ err error }

func (m missingTools) Dump(context.Context, ports.DumpFormat, io.Writer) error   { return m.err }
func (m missingTools) Verify(context.Context, ports.DumpFormat, io.Reader) error { return m.err }
func (m missingTools) Restore(context.Context, ports.DumpFormat, io.Reader) error {
	return m.err
}
func (m missingTools) Versions(context.Context) (int, int, error) { return 0, 0, m.err }

// NewApp gathers the parts of the service.
func NewApp(
	cfg config.Config,
	log *slog.Logger,
	m *postgres.Migrator,
	b *application.Bootstrap,
	a *application.Admin,
	bk *application.Backups,
	h *httpapi.Server,
) *App {
	return &App{Config: cfg, Log: log, Migrator: m, Bootstrap: b, Admin: a, Backups: bk, HTTP: h}
}

// ProvideSQL connects to the configured database, retrying while it
// starts, and closes the pool on cleanup.
func ProvideSQL(ctx context.Context, cfg config.Config, log *slog.Logger) (*sqlx.DB, func(), error) {
	db, err := postgres.Connect(ctx, postgres.ConnectOptions{
		URL:      cfg.DSN(),
		Attempts: cfg.DBConnectTries,
		Delay:    500 * time.Millisecond,
	}, log)
	if err != nil {
		return nil, nil, err
	}
	return db, func() { _ = db.Close() }, nil
}

// ProvideHasher builds the argon2id hasher from the ARGON2_* settings,
// timing each hash into the metrics.
func ProvideHasher(cfg config.Config, m *metrics.Metrics) (*hashing.Argon2id, error) {
	h, err := hashing.NewArgon2id(hashing.Params{
		MemoryKiB:     cfg.Argon2MemoryKiB,
		Iterations:    cfg.Argon2Iterations,
		Parallelism:   cfg.Argon2Parallelism,
		MaxConcurrent: cfg.HashConcurrency,
	})
	if err != nil {
		return nil, fmt.Errorf("ARGON2_*: %w", err)
	}
	h.Observe(func(d time.Duration) { m.HashDuration.Observe(d.Seconds()) })
	return h, nil
}

// ProvideTokenConfig maps the JWT_* settings onto the token adapter.
func ProvideTokenConfig(cfg config.Config) tokens.Config {
	verify := make([]string, 0, len(cfg.JWTVerifyKeyFiles))
	for _, f := range cfg.JWTVerifyKeyFiles {
		if f = strings.TrimSpace(f); f != "" {
			verify = append(verify, f)
		}
	}
	return tokens.Config{
		SigningKeyFile:   cfg.JWTSigningKeyFile,
		VerifyKeyFiles:   verify,
		Issuer:           cfg.JWTIssuer,
		Audience:         cfg.JWTAudience,
		Algorithm:        cfg.JWTAlgorithm,
		GeneratedKeyFile: cfg.JWTDevKeyFile,
		AllowGenerate:    !cfg.Production(),
		MaxLifetime:      cfg.AccessTokenTTL,
	}
}

// ProvideTokens builds the JWT adapter; its errors name the variables
// behind the key files.
func ProvideTokens(cfg tokens.Config, clock ports.Clock, log *slog.Logger) (*tokens.JWT, error) {
	t, err := tokens.New(cfg, clock, log)
	if err != nil {
		return nil, fmt.Errorf("JWT_SIGNING_KEY_FILE / JWT_VERIFY_KEY_FILES: %w", err)
	}
	return t, nil
}

// ProvideAppConfig maps settings onto the use cases.
func ProvideAppConfig(cfg config.Config) application.Config {
	return application.Config{
		AccessTTL:         cfg.AccessTokenTTL,
		RefreshTTL:        cfg.RefreshTokenTTL,
		ReuseGrace:        cfg.RefreshReuseGrace,
		PasswordMinLength: cfg.PasswordMinLength,
		ResetTTL:          cfg.ResetTokenTTL,
		RestoreWindow:     cfg.AccountRestoreWin,
		ResetURL:          cfg.ResetURL,
	}
}

// ProvideThrottles builds the attempt counters from the LOGIN_* and
// SENSITIVE_* settings, kept in the database so instances count together.
func ProvideThrottles(cfg config.Config, db *postgres.DB, clock ports.Clock) application.Throttles {
	return application.Throttles{
		Login: postgres.NewThrottle(db, "login", cfg.LoginMaxFailures, cfg.LoginFailureWindow, clock),
		Sensitive: postgres.NewThrottle(db, "sensitive", cfg.SensitiveMax, cfg.SensitiveWindow,
			clock),
	}
}

// ProvideMailer builds the mailer MAIL_MODE names, logging failures.
func ProvideMailer(cfg config.Config, log *slog.Logger) (ports.Mailer, error) {
	m, err := mail.New(cfg.MailMode, cfg.MailDir, cfg.SMTPFrom, mail.SMTPConfig{
		Host:     cfg.SMTPHost,
		Port:     cfg.SMTPPort,
		Username: cfg.SMTPUsername,
		Password: cfg.SMTPPassword,
		From:     cfg.SMTPFrom,
	}, cfg.Production(), log)
	if err != nil {
		return nil, err
	}
	return mail.NewLogged(m, log), nil
}

// ProvideMetrics builds the registry with the pool and session gauges.
func ProvideMetrics(db *sqlx.DB, sessions *postgres.Sessions, clock ports.Clock) *metrics.Metrics {
	m := metrics.New()
	m.RegisterDB(db.DB)
	m.RegisterActiveSessions(func(ctx context.Context) (int, error) {
		return sessions.CountActive(ctx, clock.Now())
	})
	return m
}

// ProvideHTTPOptions maps settings onto the HTTP adapter.
func ProvideHTTPOptions(cfg config.Config) (httpapi.Options, error) {
	var opts httpapi.Options
	for _, p := range cfg.TrustedProxies {
		if strings.TrimSpace(p) == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(strings.TrimSpace(p))
		if err != nil {
			return opts, fmt.Errorf("TRUSTED_PROXIES: %w", err)
		}
		opts.TrustedProxies = append(opts.TrustedProxies, prefix)
	}
	return opts, nil
}

// OfflineBackups builds the backup parts that read BACKUP_DIR and run the
// dump tools but never connect to the database, for `backup status`,
// `list` and `verify`, which must answer while the database is down.
// Anything needing the lock or the database state fails with errNoDB.
func OfflineBackups(cfg config.Config, log *slog.Logger) (*BackupApp, error) {
	bcfg, err := ProvideBackupConfig(cfg)
	if err != nil {
		return nil, err
	}
	dir, err := ProvideBackupDir(cfg)
	if err != nil {
		return nil, err
	}
	dumper, err := ProvideDumper(cfg, log)
	if err != nil {
		return nil, err
	}
	sched, err := ProvideSchedule(bcfg, cfg)
	if err != nil {
		return nil, err
	}
	b := application.NewBackups(bcfg, dumper, dir, offline{}, offline{}, clock.New(),
		backupfs.NewSleeper(), random.New(), nil)
	return NewBackupApp(cfg, b, sched), nil
}

var errNoDB = errors.New("this command does not connect to the database")

// offline stands in for the database-backed lock and state.
type offline struct{}

var (
	_ ports.Locker      = offline{}
	_ ports.BackupState = offline{}
)

func (offline) TryLock(context.Context) (func(), bool, error) { return nil, false, errNoDB }
func (offline) InitialDone(context.Context) (bool, error)     { return false, errNoDB }
func (offline) MarkInitialDone(context.Context) error         { return errNoDB }
func (offline) AfterRestore(context.Context) error            { return errNoDB }
