// Command auth-service runs the authentication service and its
// operational commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	authservice "auth-service"
	"auth-service/adapters/config"
	"auth-service/adapters/httpapi"
)

// Stamped at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "auth-service:", err)
		os.Exit(1)
	}
}

// cli carries what every command shares.
type cli struct {
	envFile string
	out     io.Writer
	errOut  io.Writer
}

func newRoot(out, errOut io.Writer) *cobra.Command {
	c := &cli{out: out, errOut: errOut}
	root := &cobra.Command{
		Use:   "auth-service",
		Short: "Identity for a platform: users, tokens, sessions, roles, backups",
		Long: `auth-service: identity for a platform (users, tokens, sessions, roles, backups).

Every setting comes from the environment, completed by an optional .env file
(--env-file; the environment wins). .env.example lists each variable with
its default; a bad value stops the command with a message naming it.`,
		Version:       version + " (commit " + commit + ")",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("auth-service {{.Version}}\n")
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetOut(out)
	root.SetErr(errOut)
	root.PersistentFlags().StringVar(&c.envFile, "env-file", ".env",
		"read variables from this file when it exists; the environment wins")
	root.AddCommand(c.serveCmd(), c.migrateCmd(), c.backupCmd(), c.versionCmd(), c.healthcheckCmd())
	return root
}

// load reads the configuration and builds the logger.
func (c *cli) load() (config.Config, *slog.Logger, error) {
	environ, err := config.Environ(c.envFile)
	if err != nil {
		return config.Config{}, nil, err
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return config.Config{}, nil, fmt.Errorf("configuration: %w", err)
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel)))
	log := slog.New(slog.NewJSONHandler(c.errOut, &slog.HandlerOptions{Level: level}))
	return cfg, log, nil
}

func (c *cli) serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Migrate, seed and serve the HTTP API until SIGINT or SIGTERM",
		Long: `Migrate, apply the seeds, write the initial dump when it is owed, then serve
the HTTP API on HTTP_ADDR until SIGINT or SIGTERM. Periodic dumps are the
work of "backup schedule". Settings come from the environment and .env;
.env.example lists them all.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := c.load()
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, log)
		},
	}
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	// Bind before anything else: a taken or bad address stops start-up at
	// once, before the database is touched.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	defer ln.Close()

	app, cleanup, err := authservice.InitializeApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer cleanup()

	if err := app.Backups.CheckTools(ctx); err != nil {
		// The API still serves; the backup container fails loudly instead.
		log.Error("backups will not work", "error", err.Error())
	}
	if cfg.ForceReset {
		if err := forceReset(ctx, app, log); err != nil {
			return err
		}
	}
	if err := app.Migrator.Up(ctx, logWriter{log}); err != nil {
		return err
	}
	if err := app.Bootstrap.Seed(ctx); err != nil {
		return err
	}
	if cfg.AdminEmail != "" {
		created, err := app.Bootstrap.SeedAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			return err
		}
		if created {
			log.Info("first administrator created from ADMIN_EMAIL")
		}
	}
	// The background loops end with serve, whatever ends it. After the
	// seeds, so the initial dump holds the first administrator.
	bgCtx, stopBackground := context.WithCancel(ctx)
	initialDone := make(chan struct{})
	go func() {
		defer close(initialDone)
		initialBackupLoop(bgCtx, app.Backups, log)
	}()
	defer func() { <-initialDone }()
	purgeDone := make(chan struct{})
	go func() {
		defer close(purgeDone)
		purgeLoop(bgCtx, app, log)
	}()
	defer func() { <-purgeDone }()
	defer stopBackground()

	srv := httpapi.HTTPServer(cfg.HTTPAddr, app.HTTP, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "addr", cfg.HTTPAddr, "env", cfg.AppEnv, "version", version)

	select {
	case err := <-errc:
		return fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	app.HTTP.Wait()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// forceReset drops and re-creates the schema after a safety dump of a
// non-empty one. The configuration already refuses it in production.
func forceReset(ctx context.Context, app *authservice.App, log *slog.Logger) error {
	empty, err := app.Migrator.SchemaEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		safety, err := app.Backups.BeforeReset(ctx)
		if err != nil {
			return fmt.Errorf("FORCE_RESET: no safety backup, so nothing was dropped: %w", err)
		}
		log.Warn("FORCE_RESET: safety backup written", "file", safety)
	}
	if err := app.Migrator.Reset(ctx); err != nil {
		return fmt.Errorf("FORCE_RESET: %w", err)
	}
	log.Warn("FORCE_RESET: the schema was dropped and is re-created now")
	return nil
}

// purgeLoop removes accounts past their restore window now and every
// PURGE_INTERVAL until ctx ends. Several instances may run it at once.
func purgeLoop(ctx context.Context, app *authservice.App, log *slog.Logger) {
	t := time.NewTicker(app.Config.PurgeInterval)
	defer t.Stop()
	for {
		n, err := app.Admin.PurgeExpired(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("purge of deleted accounts failed", "error", err.Error())
		case n > 0:
			log.Info("purged deleted accounts past the restore window", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// logWriter turns the migrator's progress lines into log records.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		if line != "" {
			w.log.Info("migrate", "step", line)
		}
	}
	return len(p), nil
}

func (c *cli) migrateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, roll back or list schema migrations",
		// Without RunE cobra prints help and exits 0 for a mistyped
		// subcommand such as "migrate upp"; NoArgs makes it an error.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	run := func(name, short string, fn func(ctx context.Context, m migrator) error) *cobra.Command {
		return &cobra.Command{
			Use:   name,
			Short: short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				cfg, log, err := c.load()
				if err != nil {
					return err
				}
				m, cleanup, err := authservice.InitializeMigrator(cmd.Context(), cfg, log)
				if err != nil {
					return err
				}
				defer cleanup()
				return fn(cmd.Context(), m)
			},
		}
	}
	cmd.AddCommand(
		run("up", "Apply every pending migration", func(ctx context.Context, m migrator) error {
			return m.Up(ctx, c.out)
		}),
		run("down", "Roll back the newest migration", func(ctx context.Context, m migrator) error {
			return m.Down(ctx, c.out)
		}),
		run("status", "List migrations and whether each is applied",
			func(ctx context.Context, m migrator) error { return m.Status(ctx, c.out) }),
	)
	return cmd
}

type migrator interface {
	Up(ctx context.Context, w io.Writer) error
	Down(ctx context.Context, w io.Writer) error
	Status(ctx context.Context, w io.Writer) error
}
