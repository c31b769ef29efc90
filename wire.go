//go:build wireinject

package authservice

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"auth-service/adapters/backupfs"
	"auth-service/adapters/clock"
	"auth-service/adapters/config"
	"auth-service/adapters/hashing"
	"auth-service/adapters/httpapi"
	"auth-service/adapters/postgres"
	"auth-service/adapters/random"
	"auth-service/adapters/tokens"
	"auth-service/application"
	"auth-service/ports"
)

var storeSet = wire.NewSet(
	ProvideSQL,
	postgres.NewDB,
	postgres.NewUsers,
	postgres.NewSessions,
	postgres.NewRoles,
	postgres.NewResets,
	postgres.NewAudit,
	postgres.NewMigrator,
	wire.Bind(new(ports.Transactor), new(*postgres.DB)),
	wire.Bind(new(ports.Pinger), new(*postgres.DB)),
	wire.Bind(new(ports.UserStore), new(*postgres.Users)),
	wire.Bind(new(ports.SessionStore), new(*postgres.Sessions)),
	wire.Bind(new(ports.RoleStore), new(*postgres.Roles)),
	wire.Bind(new(ports.UserAdmin), new(*postgres.Users)),
	wire.Bind(new(ports.RoleAdmin), new(*postgres.Roles)),
	wire.Bind(new(ports.ResetStore), new(*postgres.Resets)),
	wire.Bind(new(ports.AuditLog), new(*postgres.Audit)),
)

var serviceSet = wire.NewSet(
	clock.New,
	random.New,
	ProvideHasher,
	ProvideTokenConfig,
	ProvideTokens,
	wire.Bind(new(ports.Clock), new(clock.System)),
	wire.Bind(new(ports.Random), new(random.Crypto)),
	wire.Bind(new(ports.PasswordHasher), new(*hashing.Argon2id)),
	wire.Bind(new(ports.AccessTokens), new(*tokens.JWT)),
	ProvideAppConfig,
	ProvideThrottles,
	ProvideMailer,
	wire.Struct(new(application.Deps), "*"),
	application.NewAuth,
	application.NewAccount,
	application.NewAdmin,
	application.NewBootstrap,
)

var backupSet = wire.NewSet(
	ProvideBackupConfig,
	ProvideBackupDir,
	ProvideDumper,
	postgres.NewBackupLock,
	backupfs.NewSleeper,
	wire.Bind(new(ports.BackupFiles), new(*backupfs.Dir)),
	wire.Bind(new(ports.Locker), new(*postgres.BackupLock)),
	wire.Bind(new(ports.BackupState), new(*postgres.BackupLock)),
	wire.Bind(new(ports.Sleeper), new(backupfs.Sleeper)),
	application.NewBackups,
)

// InitializeBackups builds what the backup commands need.
func InitializeBackups(ctx context.Context, cfg config.Config, log *slog.Logger) (*BackupApp, func(), error) {
	wire.Build(
		ProvideSQL,
		postgres.NewDB,
		postgres.NewAudit,
		wire.Bind(new(ports.AuditLog), new(*postgres.Audit)),
		clock.New,
		random.New,
		wire.Bind(new(ports.Clock), new(clock.System)),
		wire.Bind(new(ports.Random), new(random.Crypto)),
		backupSet,
		ProvideSchedule,
		NewBackupApp,
	)
	return nil, nil, nil
}

// InitializeApp builds the whole service for `serve`.
func InitializeApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, func(), error) {
	wire.Build(
		storeSet,
		serviceSet,
		backupSet,
		ProvideMetrics,
		ProvideHTTPOptions,
		httpapi.NewServer,
		NewApp,
	)
	return nil, nil, nil
}

// InitializeMigrator builds only what `migrate` needs.
func InitializeMigrator(ctx context.Context, cfg config.Config, log *slog.Logger) (*postgres.Migrator, func(), error) {
	wire.Build(ProvideSQL, postgres.NewMigrator)
	return nil, nil, nil
}
