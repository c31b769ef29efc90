package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	authservice "auth-service"
	"auth-service/adapters/backupfs"
	"auth-service/adapters/scheduler"
	"auth-service/application"
	"auth-service/ports"
)

// errNotFresh makes `backup status` exit non-zero without more words: the
// report already said why.
var errNotFresh = errors.New("the last verified backup is not fresh")

func (c *cli) backupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Dump, list, verify and restore database backups",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(c.backupNowCmd(), c.backupScheduleCmd(), c.backupListCmd(),
		c.backupVerifyCmd(), c.backupRestoreCmd(), c.backupStatusCmd())
	return cmd
}

// withOffline loads the configuration and builds the backup parts that
// need no database connection.
func (c *cli) withOffline(fn func(app *authservice.BackupApp, log *slog.Logger) error) error {
	cfg, log, err := c.load()
	if err != nil {
		return err
	}
	app, err := authservice.OfflineBackups(cfg, log)
	if err != nil {
		return err
	}
	return fn(app, log)
}

// withBackups loads the configuration, builds the backup parts and checks
// that pg_dump is not older than the server.
func (c *cli) withBackups(ctx context.Context, checkTools bool,
	fn func(app *authservice.BackupApp, log *slog.Logger) error) error {
	cfg, log, err := c.load()
	if err != nil {
		return err
	}
	app, cleanup, err := authservice.InitializeBackups(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer cleanup()
	if checkTools {
		if err := app.Backups.CheckTools(ctx); err != nil {
			return err
		}
	}
	return fn(app, log)
}

func (c *cli) backupNowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "now",
		Short: "Take one periodic backup with retry, verification and rotation",
		Long: "Takes one custom-format dump with BACKUP_RETRIES attempts, verifies it, names it\n" +
			"auth_db_backup_HH-MM_DD-MM-YYYY.dump in BACKUP_TZ, writes its .sha256 sidecar and\n" +
			"keeps the newest BACKUP_KEEP. Exits 0 on success and when another backup is running\n" +
			"(it then skips), non-zero when every attempt failed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ran := false
			err := c.withBackups(cmd.Context(), true, func(app *authservice.BackupApp, _ *slog.Logger) error {
				ran = true
				res, err := app.Backups.Now(cmd.Context())
				printResult(c.out, res)
				return err
			})
			if err != nil && !ran {
				c.recordFailure(err)
			}
			return err
		},
	}
}

// recordFailure notes, in BACKUP_DIR, a run that could not start (no
// database, no tools), so cron.log and `backup status` show it.
func (c *cli) recordFailure(err error) {
	cfg, log, lerr := c.load()
	if lerr != nil {
		return
	}
	if app, oerr := authservice.OfflineBackups(cfg, log); oerr == nil {
		app.Backups.RecordFailure(err)
	}
}

// logWritten is the event line of a periodic dump that landed.
func logWritten(log *slog.Logger, res application.BackupResult) {
	log.Info("backup written", "file", res.File, "size", res.Size, "sha256", res.Checksum,
		"duration", res.Duration.String(), "attempts", res.Attempts, "rotated", len(res.Rotated))
}

func printResult(w io.Writer, res application.BackupResult) {
	if res.Skipped {
		fmt.Fprintln(w, "skipped: another backup is running")
		return
	}
	if res.File == "" {
		return
	}
	fmt.Fprintf(w, "backup %s size=%d sha256=%s duration=%s attempts=%d\n",
		res.File, res.Size, res.Checksum, res.Duration.Round(time.Millisecond), res.Attempts)
	for _, r := range res.Rotated {
		fmt.Fprintf(w, "rotated out %s\n", r)
	}
}

func (c *cli) backupScheduleCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schedule",
		Short: "Run backups on BACKUP_SCHEDULE until SIGINT or SIGTERM",
		Long: "The backup container's process: writes the initial dump when the database owes\n" +
			"it, then runs `backup now` on BACKUP_SCHEDULE (read in BACKUP_TZ). A tick that\n" +
			"comes while a run is still going is skipped.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return c.withBackups(ctx, true, func(app *authservice.BackupApp, log *slog.Logger) error {
				go initialBackupLoop(ctx, app.Backups, log)
				scheduler.Run(ctx, app.Schedule, func(ctx context.Context) {
					res, err := app.Backups.Now(ctx)
					printResult(c.out, res)
					if err != nil {
						log.Error("backup failed", "error", err.Error())
					} else if res.File != "" {
						logWritten(log, res)
					}
				}, log)
				return nil
			})
		},
	}
}

// initialBackupLoop writes the initial dump when it is owed, retrying
// with backoff until it is done or ctx ends; failures never stop the
// caller.
func initialBackupLoop(ctx context.Context, b *application.Backups, log *slog.Logger) {
	delay := 5 * time.Second
	for {
		written, done, err := b.EnsureInitial(ctx)
		if written.File != "" {
			log.Info("initial backup written", "file", written.File, "size", written.Size,
				"sha256", written.Checksum, "duration", written.Duration.String())
		}
		if done || ctx.Err() != nil {
			return // written, or shutting down: it stays owed for next time
		}
		if err != nil {
			log.Error("initial backup failed; retrying", "in", delay.String(), "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Minute)
	}
}

func (c *cli) backupListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the backups in BACKUP_DIR, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withOffline(func(app *authservice.BackupApp, _ *slog.Logger) error {
				list, err := app.Backups.List(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(c.out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tKIND\tTIME\tSIZE\tCHECKSUM")
				for _, b := range list {
					state := "ok"
					if err := app.Backups.Verify(cmd.Context(), b.Name); err != nil {
						state = "BAD: " + err.Error()
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", b.Name, b.Kind,
						b.Time.In(time.UTC).Format(time.RFC3339), b.Size, state)
				}
				return tw.Flush()
			})
		},
	}
}

// resolve turns FILE into a folder and a name. Files outside BACKUP_DIR
// are refused unless outside is set.
func resolve(backupDir, file string, outside bool) (ports.BackupFiles, string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, "", err
	}
	dirAbs, err := filepath.Abs(backupDir)
	if err != nil {
		return nil, "", err
	}
	if !strings.ContainsRune(file, os.PathSeparator) {
		abs = filepath.Join(dirAbs, file) // a bare name means one in BACKUP_DIR
	}
	dir, name := filepath.Split(abs)
	if filepath.Clean(dir) != dirAbs && !outside {
		return nil, "", fmt.Errorf("%s is not in BACKUP_DIR (%s); pass --allow-outside to use it", file, dirAbs)
	}
	files, err := backupfs.Existing(filepath.Clean(dir))
	if err != nil {
		return nil, "", err
	}
	return files, name, nil
}

func (c *cli) backupVerifyCmd() *cobra.Command {
	var outside bool
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a backup's checksum and that the dump can be read",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withOffline(func(app *authservice.BackupApp, _ *slog.Logger) error {
				src, name, err := resolve(app.Config.BackupDir, args[0], outside)
				if err != nil {
					return err
				}
				if err := app.Backups.VerifyIn(cmd.Context(), src, name); err != nil {
					return err
				}
				fmt.Fprintf(c.out, "%s: checksum ok, dump readable\n", src.Path(name))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&outside, "allow-outside", false, "accept a FILE outside BACKUP_DIR")
	return cmd
}

func (c *cli) backupRestoreCmd() *cobra.Command {
	var yes, outside bool
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Verify a backup, take a safety dump, then restore it in one transaction",
		Long: "Verifies FILE (checksum and a readable dump), writes a safety dump of the current\n" +
			"database to BACKUP_DIR, then restores FILE in a single transaction: .dump files\n" +
			"through pg_restore --clean --if-exists, .sql files through psql with ON_ERROR_STOP.\n" +
			"A restore that fails leaves the database as it was. Asks for confirmation unless --yes.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackups(cmd.Context(), true, func(app *authservice.BackupApp, log *slog.Logger) error {
				src, name, err := resolve(app.Config.BackupDir, args[0], outside)
				if err != nil {
					return err
				}
				if !yes && !c.confirm(cmd.InOrStdin(), fmt.Sprintf(
					"Replace the database with %s? A safety dump is taken first. Type yes: ",
					src.Path(name))) {
					return errors.New("not confirmed; nothing was changed (pass --yes to skip the question)")
				}
				safety, err := app.Backups.RestoreFrom(cmd.Context(), src, name)
				if safety != "" {
					fmt.Fprintf(c.out, "safety dump: %s\n", safety)
				}
				if err != nil {
					return err
				}
				log.Info("restored backup", "file", name, "safety_dump", safety)
				fmt.Fprintf(c.out, "restored %s\n", src.Path(name))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&outside, "allow-outside", false, "accept a FILE outside BACKUP_DIR")
	return cmd
}

func (c *cli) confirm(in io.Reader, question string) bool {
	fmt.Fprint(c.errOut, question)
	line, _ := bufio.NewReader(in).ReadString('\n')
	return strings.TrimSpace(strings.ToLower(line)) == "yes"
}

func (c *cli) backupStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Exit 0 only when the last verified backup is fresh",
		Long: "Prints the newest periodic backup, the last success, the last error and the next\n" +
			"run. Exits 0 only when the newest periodic backup matches its checksum and is\n" +
			"younger than two schedule intervals plus slack: the backup container's HEALTHCHECK.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withOffline(func(app *authservice.BackupApp, _ *slog.Logger) error {
				now := time.Now()
				st, err := app.Backups.Status(cmd.Context(), app.Schedule.MaxAge(now))
				if err != nil {
					return err
				}
				loc := now.Location()
				if l, err := time.LoadLocation(app.Config.BackupTZ); err == nil {
					loc = l
				}
				printStatus(c.out, st, app.Schedule.Next(now).In(loc))
				if !st.Fresh {
					return errNotFresh
				}
				return nil
			})
		},
	}
}

func printStatus(w io.Writer, st application.BackupStatus, next time.Time) {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format(time.RFC3339)
	}
	verdict := "fresh"
	if !st.Fresh {
		verdict = "NOT FRESH: " + st.Reason
	}
	fmt.Fprintf(w, "status:        %s\n", verdict)
	if st.Newest != nil {
		fmt.Fprintf(w, "newest backup: %s (%s)\n", st.Newest.Name, stamp(st.Newest.Time))
	}
	fmt.Fprintf(w, "last success:  %s %s\n", stamp(st.State.LastSuccessAt), st.State.LastSuccessFile)
	if !st.State.LastSuccessAt.IsZero() {
		fmt.Fprintf(w, "last size:     %d bytes in %s\n", st.State.LastSize,
			(time.Duration(st.State.LastDurationMS) * time.Millisecond).String())
	}
	lastErr := "none"
	if st.State.LastError != "" {
		lastErr = stamp(st.State.LastErrorAt) + " " + st.State.LastError
	}
	fmt.Fprintf(w, "last error:    %s\n", lastErr)
	fmt.Fprintf(w, "failures:      %d\n", st.State.Failures)
	fmt.Fprintf(w, "max age:       %s\n", st.MaxAge)
	fmt.Fprintf(w, "next run:      %s\n", next.Format(time.RFC3339))
}
