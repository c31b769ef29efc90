package config_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/adapters/config"
)

// smtp is the least that MAIL_MODE=smtp needs.
func smtp(extra map[string]string) map[string]string {
	m := map[string]string{
		"SMTP_HOST": "smtp.example.com",
		"SMTP_FROM": "auth@example.com",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// production is the least a production environment needs to load.
func production(extra map[string]string) map[string]string {
	m := smtp(map[string]string{
		"APP_ENV":              config.EnvProduction,
		"JWT_SIGNING_KEY_FILE": "/run/secrets/jwt.pem",
	})
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := config.Load(map[string]string{})
	require.NoError(t, err)

	assert.Equal(t, ":5000", cfg.HTTPAddr)
	assert.Equal(t, config.EnvDevelopment, cfg.AppEnv)
	assert.False(t, cfg.Production())
	assert.Equal(t, 15*time.Minute, cfg.AccessTokenTTL)
	assert.Equal(t, 720*time.Hour, cfg.RefreshTokenTTL)
	assert.Equal(t, 10*time.Second, cfg.RefreshReuseGrace)
	assert.Equal(t, 3, cfg.BackupKeep)
	assert.Equal(t, "file", cfg.MailMode)
	assert.Greater(t, cfg.HashConcurrency, 0)
	assert.Equal(t, 8, cfg.PasswordMinLength)
	assert.Equal(t, "UTC", cfg.BackupTZ)
	assert.False(t, cfg.ForceReset)
	assert.Empty(t, cfg.TrustedProxies)
}

func TestLoadMailModeDefault(t *testing.T) {
	tests := []struct {
		name    string
		environ map[string]string
		want    string
	}{
		{name: "development", environ: map[string]string{"APP_ENV": "development"}, want: "file"},
		{name: "production", environ: production(nil), want: "smtp"},
		{name: "explicit smtp in development", environ: smtp(map[string]string{"MAIL_MODE": "smtp"}), want: "smtp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(tt.environ)

			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.MailMode)
		})
	}
}

func TestLoadHashConcurrency(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  int // 0: any positive number
	}{
		{name: "unset", value: ""},
		{name: "zero means the CPU count", value: "0"},
		{name: "explicit", value: "3", want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			environ := map[string]string{}
			if tt.value != "" {
				environ["HASH_CONCURRENCY"] = tt.value
			}

			cfg, err := config.Load(environ)

			require.NoError(t, err)
			if tt.want == 0 {
				assert.Greater(t, cfg.HashConcurrency, 0)
			} else {
				assert.Equal(t, tt.want, cfg.HashConcurrency)
			}
		})
	}
}

func TestLoadAcceptsGoodValues(t *testing.T) {
	tests := []struct {
		name    string
		environ map[string]string
		check   func(t *testing.T, cfg config.Config)
	}{
		{
			name:    "production",
			environ: production(nil),
			check:   func(t *testing.T, cfg config.Config) { assert.True(t, cfg.Production()) },
		},
		{
			name:    "trusted proxies with spaces",
			environ: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.0.0/16,fd00::/8"},
			check: func(t *testing.T, cfg config.Config) {
				assert.Len(t, cfg.TrustedProxies, 3)
			},
		},
		{
			name:    "refresh reuse grace zero",
			environ: map[string]string{"REFRESH_REUSE_GRACE": "0s"},
			check: func(t *testing.T, cfg config.Config) {
				assert.Zero(t, cfg.RefreshReuseGrace)
			},
		},
		{
			name:    "admin email and password together",
			environ: map[string]string{"ADMIN_EMAIL": "root@example.com", "ADMIN_PASSWORD": "s3cret-enough"},
			check: func(t *testing.T, cfg config.Config) {
				assert.Equal(t, "root@example.com", cfg.AdminEmail)
			},
		},
		{
			name:    "FORCE_RESET in development",
			environ: map[string]string{"FORCE_RESET": "true"},
			check:   func(t *testing.T, cfg config.Config) { assert.True(t, cfg.ForceReset) },
		},
		{
			name:    "FORZAR_RESET is an alias",
			environ: map[string]string{"FORZAR_RESET": "true"},
			check:   func(t *testing.T, cfg config.Config) { assert.True(t, cfg.ForceReset) },
		},
		{
			name:    "FORCE_RESET wins over FORZAR_RESET",
			environ: map[string]string{"FORCE_RESET": "false", "FORZAR_RESET": "true"},
			check:   func(t *testing.T, cfg config.Config) { assert.False(t, cfg.ForceReset) },
		},
		{
			name:    "postgresql scheme",
			environ: map[string]string{"DATABASE_URL": "postgresql://u@db/auth"},
			check: func(t *testing.T, cfg config.Config) {
				assert.Equal(t, "postgresql://u@db/auth", cfg.DatabaseURL)
			},
		},
		{
			name:    "backup time zone",
			environ: map[string]string{"BACKUP_TZ": "Europe/Madrid"},
			check: func(t *testing.T, cfg config.Config) {
				assert.Equal(t, "Europe/Madrid", cfg.BackupTZ)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(tt.environ)

			require.NoError(t, err)
			tt.check(t, cfg)
		})
	}
}

func TestLoadNamesTheBadVariable(t *testing.T) {
	tests := []struct {
		name    string
		environ map[string]string
		wantVar string
	}{
		{name: "duration not parsable", environ: map[string]string{"ACCESS_TOKEN_TTL": "banana"}, wantVar: "ACCESS_TOKEN_TTL"},
		{name: "negative duration", environ: map[string]string{"REFRESH_REUSE_GRACE": "-1s"}, wantVar: "REFRESH_REUSE_GRACE"},
		{name: "grace too long", environ: map[string]string{"REFRESH_REUSE_GRACE": "6m"}, wantVar: "REFRESH_REUSE_GRACE"},
		{name: "zero TTL", environ: map[string]string{"REFRESH_TOKEN_TTL": "0s"}, wantVar: "REFRESH_TOKEN_TTL"},
		{name: "password minimum below 8", environ: map[string]string{"PASSWORD_MIN_LENGTH": "4"}, wantVar: "PASSWORD_MIN_LENGTH"},
		{name: "integer not parsable", environ: map[string]string{"ARGON2_MEMORY_KIB": "abc"}, wantVar: "ARGON2_MEMORY_KIB"},
		{name: "unknown environment", environ: map[string]string{"APP_ENV": "prod"}, wantVar: "APP_ENV"},
		{name: "address without colon", environ: map[string]string{"HTTP_ADDR": "5000"}, wantVar: "HTTP_ADDR"},
		{name: "prefix too long", environ: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/33"}, wantVar: "TRUSTED_PROXIES"},
		{name: "file mail in production", environ: production(map[string]string{"MAIL_MODE": "file"}), wantVar: "MAIL_MODE"},
		{name: "unknown mail mode", environ: map[string]string{"MAIL_MODE": "pigeon"}, wantVar: "MAIL_MODE"},
		{name: "smtp without host", environ: map[string]string{"MAIL_MODE": "smtp", "SMTP_FROM": "a@example.com"}, wantVar: "SMTP_HOST"},
		{name: "smtp without sender", environ: map[string]string{"MAIL_MODE": "smtp", "SMTP_HOST": "smtp.example.com"}, wantVar: "SMTP_FROM"},
		{name: "production without signing key", environ: map[string]string{"APP_ENV": "production"}, wantVar: "JWT_SIGNING_KEY_FILE"},
		{name: "force reset in production", environ: production(map[string]string{"FORCE_RESET": "true"}), wantVar: "FORCE_RESET"},
		{name: "force reset not a bool", environ: map[string]string{"FORCE_RESET": "si"}, wantVar: "FORCE_RESET"},
		{name: "unknown time zone", environ: map[string]string{"BACKUP_TZ": "Mars/Olympus"}, wantVar: "BACKUP_TZ"},
		{name: "reset URL not http", environ: map[string]string{"RESET_URL": "ftp://x"}, wantVar: "RESET_URL"},
		{name: "reset URL relative", environ: map[string]string{"RESET_URL": "/reset"}, wantVar: "RESET_URL"},
		{name: "admin email without password", environ: map[string]string{"ADMIN_EMAIL": "root@example.com"}, wantVar: "ADMIN_EMAIL"},
		{name: "admin password without email", environ: map[string]string{"ADMIN_PASSWORD": "s3cret-enough"}, wantVar: "ADMIN_PASSWORD"},
		{name: "port out of range", environ: map[string]string{"POSTGRES_PORT": "70000"}, wantVar: "POSTGRES_PORT"},
		{name: "port zero", environ: map[string]string{"POSTGRES_PORT": "0"}, wantVar: "POSTGRES_PORT"},
		{name: "database URL not postgres", environ: map[string]string{"DATABASE_URL": "mysql://x"}, wantVar: "DATABASE_URL"},
		{name: "log level", environ: map[string]string{"LOG_LEVEL": "loud"}, wantVar: "LOG_LEVEL"},
		{name: "JWT algorithm", environ: map[string]string{"JWT_ALGORITHM": "HS256"}, wantVar: "JWT_ALGORITHM"},
		{name: "negative hash concurrency", environ: map[string]string{"HASH_CONCURRENCY": "-1"}, wantVar: "HASH_CONCURRENCY"},
		{name: "argon2 parallelism overflow", environ: map[string]string{"ARGON2_PARALLELISM": "256"}, wantVar: "ARGON2_PARALLELISM"},
		{name: "backup keep zero", environ: map[string]string{"BACKUP_KEEP": "0"}, wantVar: "BACKUP_KEEP"},
		{name: "schedule that never fires", environ: map[string]string{"BACKUP_SCHEDULE": "0 0 30 2 *"}, wantVar: "BACKUP_SCHEDULE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(tt.environ)

			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantVar)
			assert.Equal(t, config.Config{}, cfg)
		})
	}
}

func TestLoadReportsEveryBadValue(t *testing.T) {
	tests := []struct {
		name     string
		environ  map[string]string
		wantVars []string
	}{
		{
			name: "validation",
			environ: map[string]string{
				"APP_ENV":       "prod",
				"HTTP_ADDR":     "5000",
				"POSTGRES_PORT": "70000",
				"RESET_URL":     "ftp://x",
				"BACKUP_TZ":     "Mars/Olympus",
			},
			wantVars: []string{"APP_ENV", "HTTP_ADDR", "POSTGRES_PORT", "RESET_URL", "BACKUP_TZ"},
		},
		{
			name: "parsing",
			environ: map[string]string{
				"ACCESS_TOKEN_TTL":  "banana",
				"ARGON2_MEMORY_KIB": "abc",
				"POSTGRES_PORT":     "five",
			},
			wantVars: []string{"ACCESS_TOKEN_TTL", "ARGON2_MEMORY_KIB", "POSTGRES_PORT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(tt.environ)

			require.Error(t, err)
			for _, v := range tt.wantVars {
				assert.Contains(t, err.Error(), v)
			}
		})
	}
}

func TestLoadDoesNotChangeItsArgument(t *testing.T) {
	environ := map[string]string{"FORZAR_RESET": "true"}

	_, err := config.Load(environ)

	require.NoError(t, err)
	assert.Equal(t, map[string]string{"FORZAR_RESET": "true"}, environ)
}

func TestDSNEscapesEveryPart(t *testing.T) {
	tests := []struct {
		name     string
		user     string
		password string
	}{
		{name: "awkward password", user: "auth", password: `p@ss:w/rd#50% 'q' "dq"`},
		{name: "only reserved", user: "auth", password: `@:/#%'" `},
		{name: "question mark and ampersand", user: "auth", password: "a?b&c=d+e"},
		{name: "awkward user", user: "a@b:c", password: "x"},
		{name: "unicode", user: "usuário", password: "contraseña ñ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(map[string]string{
				"POSTGRES_HOST":     "db.internal",
				"POSTGRES_PORT":     "6543",
				"POSTGRES_USER":     tt.user,
				"POSTGRES_PASSWORD": tt.password,
				"POSTGRES_DB":       "auth_db",
				"POSTGRES_SSLMODE":  "require",
			})
			require.NoError(t, err)

			u, err := url.Parse(cfg.DSN())

			require.NoError(t, err)
			assert.Equal(t, "postgres", u.Scheme)
			assert.Equal(t, tt.user, u.User.Username())
			pw, ok := u.User.Password()
			assert.True(t, ok)
			assert.Equal(t, tt.password, pw)
			assert.Equal(t, "db.internal", u.Hostname())
			assert.Equal(t, "6543", u.Port())
			assert.Equal(t, "/auth_db", u.Path)
			assert.Equal(t, "require", u.Query().Get("sslmode"))
			assert.Empty(t, u.Fragment)
		})
	}
}

func TestDSNWithoutPassword(t *testing.T) {
	cfg, err := config.Load(map[string]string{})
	require.NoError(t, err)

	u, err := url.Parse(cfg.DSN())

	require.NoError(t, err)
	assert.Equal(t, "postgres", u.User.Username())
	_, ok := u.User.Password()
	assert.False(t, ok)
	assert.Equal(t, "127.0.0.1:5432", u.Host)
	assert.Equal(t, "/auth_db", u.Path)
	assert.Equal(t, "disable", u.Query().Get("sslmode"))
}

func TestDSNIPv6Host(t *testing.T) {
	cfg, err := config.Load(map[string]string{"POSTGRES_HOST": "::1"})
	require.NoError(t, err)

	u, err := url.Parse(cfg.DSN())

	require.NoError(t, err)
	assert.Equal(t, "::1", u.Hostname())
	assert.Equal(t, "5432", u.Port())
}

func TestDSNDatabaseURLWins(t *testing.T) {
	const dsn = "postgres://app:pw@primary.db:5432/auth?sslmode=verify-full"
	cfg, err := config.Load(map[string]string{
		"DATABASE_URL":      dsn,
		"POSTGRES_HOST":     "other.db",
		"POSTGRES_USER":     "other",
		"POSTGRES_PASSWORD": "other-pw",
		"POSTGRES_DB":       "other_db",
	})
	require.NoError(t, err)

	assert.Equal(t, dsn, cfg.DSN())
}

// writeEnvFile writes content to a .env file in a fresh directory.
func writeEnvFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// unsetenv removes key for the rest of the test and restores it afterwards.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "")
	require.NoError(t, os.Unsetenv(key))
}

func TestEnvironReadsFileAndEnvironmentWins(t *testing.T) {
	unsetenv(t, "AUTH_TEST_FILE_ONLY")
	t.Setenv("AUTH_TEST_BOTH", "from-env")
	t.Setenv("AUTH_TEST_ENV_ONLY", "env")
	path := writeEnvFile(t, strings.Join([]string{
		"# a comment",
		"AUTH_TEST_FILE_ONLY=from-file",
		"AUTH_TEST_BOTH=from-file",
		`AUTH_TEST_QUOTED="a b # c"`,
		"export AUTH_TEST_EXPORTED=yes",
		"",
	}, "\n"))

	environ, err := config.Environ(path)

	require.NoError(t, err)
	assert.Equal(t, "from-file", environ["AUTH_TEST_FILE_ONLY"])
	assert.Equal(t, "from-env", environ["AUTH_TEST_BOTH"])
	assert.Equal(t, "env", environ["AUTH_TEST_ENV_ONLY"])
	assert.Equal(t, "a b # c", environ["AUTH_TEST_QUOTED"])
	assert.Equal(t, "yes", environ["AUTH_TEST_EXPORTED"])
}

func TestEnvironEmptyEnvironmentValueStillWins(t *testing.T) {
	t.Setenv("AUTH_TEST_BOTH", "")
	path := writeEnvFile(t, "AUTH_TEST_BOTH=from-file\n")

	environ, err := config.Environ(path)

	require.NoError(t, err)
	v, ok := environ["AUTH_TEST_BOTH"]
	assert.True(t, ok)
	assert.Empty(t, v)
}

func TestEnvironWithoutFile(t *testing.T) {
	t.Setenv("AUTH_TEST_ENV_ONLY", "env")
	tests := []struct {
		name string
		path string
	}{
		{name: "missing file", path: filepath.Join(t.TempDir(), "absent.env")},
		{name: "missing directory", path: filepath.Join(t.TempDir(), "no", "such", ".env")},
		{name: "no path", path: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			environ, err := config.Environ(tt.path)

			require.NoError(t, err)
			assert.Equal(t, "env", environ["AUTH_TEST_ENV_ONLY"])
		})
	}
}

func TestEnvironBadFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
	}{
		{name: "name without value", content: "JUST_A_NAME\n"},
		{name: "unterminated double quote", content: "KEY=\"unterminated\n"},
		{name: "unterminated single quote", content: "KEY='unterminated\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeEnvFile(t, tt.content)

			environ, err := config.Environ(path)

			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.Nil(t, environ)
		})
	}
}

func TestEnvironPathIsADirectory(t *testing.T) {
	dir := t.TempDir()

	_, err := config.Environ(dir)

	assert.Error(t, err)
}

func TestEnvironThenLoad(t *testing.T) {
	unsetenv(t, "ACCESS_TOKEN_TTL")
	path := writeEnvFile(t, "ACCESS_TOKEN_TTL=banana\n")
	environ, err := config.Environ(path)
	require.NoError(t, err)

	_, err = config.Load(environ)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "ACCESS_TOKEN_TTL")
}
