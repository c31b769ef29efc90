// Package config loads the service's settings from the environment and an
// optional .env file into one typed, validated struct.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/joho/godotenv"

	"auth-service/adapters/scheduler"
)

// The deployment environments.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is every setting of the service. Each field names its variable;
// .env.example lists them all with their defaults.
type Config struct {
	DatabaseURL      string `env:"DATABASE_URL"`
	PostgresHost     string `env:"POSTGRES_HOST" envDefault:"127.0.0.1"`
	PostgresPort     int    `env:"POSTGRES_PORT" envDefault:"5432"`
	PostgresUser     string `env:"POSTGRES_USER" envDefault:"postgres"`
	PostgresPassword string `env:"POSTGRES_PASSWORD"`
	PostgresDB       string `env:"POSTGRES_DB" envDefault:"auth_db"`
	PostgresSSLMode  string `env:"POSTGRES_SSLMODE" envDefault:"disable"`
	DBConnectTries   int    `env:"DB_CONNECT_ATTEMPTS" envDefault:"10"`

	HTTPAddr string `env:"HTTP_ADDR" envDefault:":5000"`
	AppEnv   string `env:"APP_ENV" envDefault:"development"`
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`

	JWTSigningKeyFile  string        `env:"JWT_SIGNING_KEY_FILE"`
	JWTVerifyKeyFiles  []string      `env:"JWT_VERIFY_KEY_FILES" envSeparator:","`
	JWTIssuer          string        `env:"JWT_ISSUER" envDefault:"auth-service"`
	JWTAudience        string        `env:"JWT_AUDIENCE" envDefault:"auth-service"`
	JWTAlgorithm       string        `env:"JWT_ALGORITHM" envDefault:"EdDSA"`
	JWTDevKeyFile      string        `env:"JWT_DEV_KEY_FILE" envDefault:".secrets/jwt-dev-signing-key.pem"`
	AccessTokenTTL     time.Duration `env:"ACCESS_TOKEN_TTL" envDefault:"15m"`
	RefreshTokenTTL    time.Duration `env:"REFRESH_TOKEN_TTL" envDefault:"720h"`
	RefreshReuseGrace  time.Duration `env:"REFRESH_REUSE_GRACE" envDefault:"10s"`
	ResetTokenTTL      time.Duration `env:"RESET_TOKEN_TTL" envDefault:"30m"`
	AccountRestoreWin  time.Duration `env:"ACCOUNT_RESTORE_WINDOW" envDefault:"720h"`
	PasswordMinLength  int           `env:"PASSWORD_MIN_LENGTH" envDefault:"8"`
	Argon2MemoryKiB    uint32        `env:"ARGON2_MEMORY_KIB" envDefault:"19456"`
	Argon2Iterations   uint32        `env:"ARGON2_ITERATIONS" envDefault:"2"`
	Argon2Parallelism  uint8         `env:"ARGON2_PARALLELISM" envDefault:"1"`
	HashConcurrency    int           `env:"HASH_CONCURRENCY"`
	LoginMaxFailures   int           `env:"LOGIN_MAX_FAILURES" envDefault:"5"`
	LoginFailureWindow time.Duration `env:"LOGIN_FAILURE_WINDOW" envDefault:"15m"`
	TrustedProxies     []string      `env:"TRUSTED_PROXIES" envSeparator:","`
	SensitiveMax       int           `env:"SENSITIVE_MAX_REQUESTS" envDefault:"5"`
	SensitiveWindow    time.Duration `env:"SENSITIVE_WINDOW" envDefault:"15m"`
	PurgeInterval      time.Duration `env:"PURGE_INTERVAL" envDefault:"1h"`

	AdminEmail    string `env:"ADMIN_EMAIL"`
	AdminPassword string `env:"ADMIN_PASSWORD"`

	MailMode     string `env:"MAIL_MODE"`
	MailDir      string `env:"MAIL_DIR" envDefault:"./mail"`
	SMTPHost     string `env:"SMTP_HOST"`
	SMTPPort     int    `env:"SMTP_PORT" envDefault:"587"`
	SMTPUsername string `env:"SMTP_USERNAME"`
	SMTPPassword string `env:"SMTP_PASSWORD"`
	SMTPFrom     string `env:"SMTP_FROM"`
	ResetURL     string `env:"RESET_URL" envDefault:"http://localhost:5000/reset-password"`

	BackupDir        string        `env:"BACKUP_DIR" envDefault:"./backups"`
	BackupSchedule   string        `env:"BACKUP_SCHEDULE" envDefault:"*/30 * * * *"`
	BackupKeep       int           `env:"BACKUP_KEEP" envDefault:"3"`
	BackupRetries    int           `env:"BACKUP_RETRIES" envDefault:"3"`
	BackupRetryDelay time.Duration `env:"BACKUP_RETRY_DELAY" envDefault:"10s"`
	BackupTZ         string        `env:"BACKUP_TZ" envDefault:"UTC"`
	ForceReset       bool          `env:"FORCE_RESET"`
}

// Production reports whether APP_ENV is production.
func (c Config) Production() bool { return c.AppEnv == EnvProduction }

// Environ returns the process environment, completed by the variables of
// the .env file at path when it exists; the real environment wins. A .env
// file that exists but cannot be read or parsed is an error.
func Environ(path string) (map[string]string, error) {
	out := map[string]string{}
	if path != "" {
		fileVars, err := godotenv.Read(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", path, err)
		default:
			for k, v := range fileVars {
				out[k] = v
			}
		}
	}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out, nil
}

// Load parses and validates the settings in environ. Every error names
// the variable at fault.
func Load(environ map[string]string) (Config, error) {
	var c Config
	// FORZAR_RESET is the seed's Spanish spelling of FORCE_RESET.
	if _, ok := environ["FORCE_RESET"]; !ok {
		if v, ok := environ["FORZAR_RESET"]; ok {
			environ = withVar(environ, "FORCE_RESET", v)
		}
	}
	if err := env.ParseWithOptions(&c, env.Options{Environment: environ}); err != nil {
		return Config{}, describe(err)
	}
	if c.HashConcurrency == 0 {
		c.HashConcurrency = runtime.NumCPU()
	}
	if c.MailMode == "" {
		c.MailMode = "file"
		if c.Production() {
			c.MailMode = "smtp"
		}
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func withVar(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

// describe rewrites the parser's errors, which name Go fields, so that
// they name the environment variable instead.
func describe(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	t := reflect.TypeOf(Config{})
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := t.FieldByName(pe.Name); ok {
				name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
				msgs = append(msgs, fmt.Sprintf("%s: not a valid %s: %v", name, pe.Type, pe.Err))
				continue
			}
		}
		msgs = append(msgs, e.Error())
	}
	return errors.New(strings.Join(msgs, "; "))
}

func (c Config) validate() error {
	var errs []string
	bad := func(name, format string, args ...any) {
		errs = append(errs, name+": "+fmt.Sprintf(format, args...))
	}
	if c.AppEnv != EnvDevelopment && c.AppEnv != EnvProduction {
		bad("APP_ENV", "must be development or production, not %q", c.AppEnv)
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("HTTP_ADDR", "must be host:port or :port, not %q", c.HTTPAddr)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("DATABASE_URL", "must be a postgres:// URL")
		}
	}
	if c.PostgresPort < 1 || c.PostgresPort > 65535 {
		bad("POSTGRES_PORT", "must be between 1 and 65535")
	}
	if c.DBConnectTries < 1 {
		bad("DB_CONNECT_ATTEMPTS", "must be at least 1")
	}
	if c.Production() && c.JWTSigningKeyFile == "" {
		bad("JWT_SIGNING_KEY_FILE", "is required when APP_ENV=production")
	}
	switch c.JWTAlgorithm {
	case "EdDSA", "ES256", "RS256":
	default:
		bad("JWT_ALGORITHM", "must be EdDSA, ES256 or RS256")
	}
	if c.JWTIssuer == "" {
		bad("JWT_ISSUER", "must not be empty")
	}
	if c.JWTAudience == "" {
		bad("JWT_AUDIENCE", "must not be empty")
	}
	positive := []struct {
		name string
		d    time.Duration
	}{
		{"ACCESS_TOKEN_TTL", c.AccessTokenTTL},
		{"REFRESH_TOKEN_TTL", c.RefreshTokenTTL},
		{"RESET_TOKEN_TTL", c.ResetTokenTTL},
		{"ACCOUNT_RESTORE_WINDOW", c.AccountRestoreWin},
		{"LOGIN_FAILURE_WINDOW", c.LoginFailureWindow},
		{"SENSITIVE_WINDOW", c.SensitiveWindow},
		{"PURGE_INTERVAL", c.PurgeInterval},
		{"BACKUP_RETRY_DELAY", c.BackupRetryDelay},
	}
	for _, p := range positive {
		if p.d <= 0 {
			bad(p.name, "must be a positive duration such as 15m")
		}
	}
	if c.RefreshReuseGrace < 0 || c.RefreshReuseGrace > 5*time.Minute {
		bad("REFRESH_REUSE_GRACE", "must be between 0 and 5m")
	}
	if c.PasswordMinLength < 8 || c.PasswordMinLength > 256 {
		bad("PASSWORD_MIN_LENGTH", "must be between 8 and 256")
	}
	if c.Argon2Parallelism < 1 {
		bad("ARGON2_PARALLELISM", "must be at least 1")
	}
	if c.Argon2Iterations < 1 {
		bad("ARGON2_ITERATIONS", "must be at least 1")
	}
	if c.Argon2MemoryKiB < 8*uint32(max(c.Argon2Parallelism, 1)) {
		bad("ARGON2_MEMORY_KIB", "must be at least 8 times ARGON2_PARALLELISM")
	}
	if c.HashConcurrency < 1 {
		bad("HASH_CONCURRENCY", "must be at least 1")
	}
	if c.LoginMaxFailures < 1 {
		bad("LOGIN_MAX_FAILURES", "must be at least 1")
	}
	if c.SensitiveMax < 1 {
		bad("SENSITIVE_MAX_REQUESTS", "must be at least 1")
	}
	for _, p := range c.TrustedProxies {
		if strings.TrimSpace(p) == "" {
			continue
		}
		if _, err := netip.ParsePrefix(strings.TrimSpace(p)); err != nil {
			bad("TRUSTED_PROXIES", "%q is not a CIDR such as 10.0.0.0/8", p)
		}
	}
	switch c.MailMode {
	case "file":
		if c.Production() {
			bad("MAIL_MODE", "file is refused when APP_ENV=production")
		}
	case "smtp":
		if c.SMTPHost == "" {
			bad("SMTP_HOST", "is required when MAIL_MODE=smtp")
		}
		if c.SMTPFrom == "" {
			bad("SMTP_FROM", "is required when MAIL_MODE=smtp")
		}
	default:
		bad("MAIL_MODE", "must be file or smtp")
	}
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		bad("SMTP_PORT", "must be between 1 and 65535")
	}
	if u, err := url.Parse(c.ResetURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("RESET_URL", "must be an absolute http or https URL")
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		bad("ADMIN_EMAIL", "ADMIN_EMAIL and ADMIN_PASSWORD must be set together")
	}
	if c.BackupDir == "" {
		bad("BACKUP_DIR", "must not be empty")
	}
	if c.BackupKeep < 1 {
		bad("BACKUP_KEEP", "must be at least 1")
	}
	if c.BackupRetries < 1 {
		bad("BACKUP_RETRIES", "must be at least 1")
	}
	if loc, err := time.LoadLocation(c.BackupTZ); err != nil {
		bad("BACKUP_TZ", "unknown time zone %q", c.BackupTZ)
	} else if s, err := scheduler.Parse(c.BackupSchedule, loc); err != nil {
		errs = append(errs, err.Error())
	} else if s.Next(time.Now()).IsZero() {
		// Valid fields can still name no day that exists (30 February).
		bad("BACKUP_SCHEDULE", "%q never fires: no date in the coming years matches it", c.BackupSchedule)
	}
	if c.ForceReset && c.Production() {
		bad("FORCE_RESET", "is refused when APP_ENV=production")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// DSN returns the connection URL: DATABASE_URL, or one built from the
// POSTGRES_* variables with every part escaped, so any character in the
// password works.
func (c Config) DSN() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	u := url.URL{
		Scheme:   "postgres",
		Host:     net.JoinHostPort(c.PostgresHost, fmt.Sprint(c.PostgresPort)),
		Path:     "/" + c.PostgresDB,
		RawQuery: url.Values{"sslmode": {c.PostgresSSLMode}}.Encode(),
	}
	if c.PostgresPassword != "" {
		u.User = url.UserPassword(c.PostgresUser, c.PostgresPassword)
	} else {
		u.User = url.User(c.PostgresUser)
	}
	return u.String()
}
