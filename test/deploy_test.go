package test

// Deployment checks: docker-compose.yml, the Dockerfile, .dockerignore and
// a binary built with the Dockerfile's flags. None needs Docker, a
// database or the network; they run with a plain `go test ./...`.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deployRoot is the module root, where the deployment files live.
func deployRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"))
	return root
}

// deployComposeEnv is what .env would give compose for interpolation.
func deployComposeEnv() map[string]string {
	return map[string]string{
		"POSTGRES_USER":     "auth_user",
		"POSTGRES_PASSWORD": "from-the-env-not-the-file",
		"POSTGRES_DB":       "auth_db",
	}
}

// deployLoadCompose loads docker-compose.yml the way `docker compose`
// does, with env as the interpolation environment. SkipResolveEnvironment
// leaves env_file unread, so the test needs no .env; paths are resolved
// against the module root as compose would.
func deployLoadCompose(t *testing.T, env map[string]string, opts ...func(*loader.Options)) (*types.Project, error) {
	t.Helper()
	root := deployRoot(t)
	details := types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: types.Mapping(env),
	}
	opts = append([]func(*loader.Options){func(o *loader.Options) {
		o.SkipResolveEnvironment = true
		o.ResolvePaths = true
	}}, opts...)
	return loader.LoadWithContext(context.Background(), details, opts...)
}

func deployEnv(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	require.Truef(t, ok && v != nil, "%s: environment has no %s", s.Name, key)
	return *v
}

func deployHasVolume(s types.ServiceConfig, typ, source, target string) bool {
	return slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Type == typ && v.Source == source && v.Target == target
	})
}

// deployEnvExampleNames are the variables .env.example documents.
func deployEnvExampleNames(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(deployRoot(t), ".env.example"))
	require.NoError(t, err)
	defer f.Close()
	names := map[string]bool{}
	line := regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := line.FindStringSubmatch(sc.Text()); m != nil {
			names[m[1]] = true
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, names)
	return names
}

func TestComposeFile(t *testing.T) {
	root := deployRoot(t)
	env := deployComposeEnv()
	p, err := deployLoadCompose(t, env)
	require.NoError(t, err)
	assert.Equal(t, "auth-service", p.Name)

	for _, name := range []string{"auth-db", "auth-service", "auth-backup-cron"} {
		require.Contains(t, p.Services, name)
	}
	db, api, cron := p.Services["auth-db"], p.Services["auth-service"], p.Services["auth-backup-cron"]
	backups := filepath.Join(root, "backups")

	t.Run("auth-db", func(t *testing.T) {
		assert.Equal(t, "postgres:15", db.Image)
		require.NotNil(t, db.HealthCheck)
		test := strings.Join(db.HealthCheck.Test, " ")
		assert.Contains(t, test, "pg_isready")
		assert.Contains(t, test, "-U")
		assert.Contains(t, test, "-d")
		assert.True(t, deployHasVolume(db, types.VolumeTypeVolume, "auth-db-data", "/var/lib/postgresql/data"),
			"named volume for the data: %+v", db.Volumes)
		assert.Contains(t, p.Volumes, "auth-db-data")
		assert.Equal(t, env["POSTGRES_PASSWORD"], deployEnv(t, db, "POSTGRES_PASSWORD"))
		assert.Equal(t, env["POSTGRES_USER"], deployEnv(t, db, "POSTGRES_USER"))
		assert.Equal(t, env["POSTGRES_DB"], deployEnv(t, db, "POSTGRES_DB"))
		assert.Empty(t, db.Ports, "the database is not published")
	})

	appChecks := func(t *testing.T, s types.ServiceConfig) {
		t.Helper()
		require.Contains(t, s.DependsOn, "auth-db")
		assert.Equal(t, types.ServiceConditionHealthy, s.DependsOn["auth-db"].Condition)
		require.NotEmpty(t, s.EnvFiles)
		assert.Equal(t, filepath.Join(root, ".env"), s.EnvFiles[0].Path)
		assert.True(t, deployHasVolume(s, types.VolumeTypeBind, backups, "/app/backups"),
			"./backups mounted at /app/backups: %+v", s.Volumes)
		assert.Equal(t, types.RestartPolicyUnlessStopped, s.Restart)
		// The containers reach the database as the auth-db service, with
		// the credentials it was created with, and write into the mount.
		assert.Equal(t, "auth-db", deployEnv(t, s, "POSTGRES_HOST"))
		assert.Equal(t, "5432", deployEnv(t, s, "POSTGRES_PORT"))
		assert.Empty(t, deployEnv(t, s, "DATABASE_URL"), "a DATABASE_URL from .env would win over POSTGRES_HOST")
		assert.Equal(t, "/app/backups", deployEnv(t, s, "BACKUP_DIR"))
		for _, k := range []string{"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"} {
			assert.Equal(t, deployEnv(t, db, k), deployEnv(t, s, k), "%s differs from auth-db's", k)
		}
		// Every variable set here is one the service reads.
		known := deployEnvExampleNames(t)
		for k := range s.Environment {
			assert.Truef(t, known[k], "%s: %s is not in .env.example", s.Name, k)
		}
		require.NotNil(t, s.HealthCheck)
		require.NotNil(t, s.HealthCheck.Test)
		assert.Equal(t, "CMD", s.HealthCheck.Test[0], "exec form: the image has no shell tools to rely on")
	}

	t.Run("auth-service", func(t *testing.T) {
		appChecks(t, api)
		require.NotNil(t, api.Build)
		assert.Equal(t, root, api.Build.Context)
		assert.NotEmpty(t, api.Image)
		assert.True(t, slices.ContainsFunc(api.Ports, func(pc types.ServicePortConfig) bool {
			return pc.Target == 5000 && pc.Published == "5000"
		}), "publishes 5000: %+v", api.Ports)
		assert.Equal(t, []string{"CMD", "auth-service", "healthcheck"}, []string(api.HealthCheck.Test))
		if c := api.Command; len(c) > 0 {
			assert.Equal(t, types.ShellCommand{"serve"}, c)
		}
		assert.Equal(t, ":5000", deployEnv(t, api, "HTTP_ADDR"), "the published port")
	})

	t.Run("auth-backup-cron", func(t *testing.T) {
		appChecks(t, cron)
		assert.Equal(t, api.Image, cron.Image, "same image as auth-service")
		if assert.NotNil(t, cron.Build) {
			assert.Equal(t, api.Build.Context, cron.Build.Context)
			assert.Equal(t, api.Build.Dockerfile, cron.Build.Dockerfile)
		}
		assert.Equal(t, types.ShellCommand{"backup", "schedule"}, cron.Command)
		assert.Empty(t, cron.Ports)
		assert.Equal(t, []string{"CMD", "auth-service", "backup", "status"}, []string(cron.HealthCheck.Test))
		// Not fresh until the first periodic dump: the start period must
		// outlast one interval of the default */30 schedule.
		require.NotNil(t, cron.HealthCheck.StartPeriod)
		assert.Greater(t, time.Duration(*cron.HealthCheck.StartPeriod), 30*time.Minute)
		require.NotNil(t, cron.HealthCheck.Interval)
		assert.LessOrEqual(t, time.Duration(*cron.HealthCheck.Interval), 30*time.Minute)
	})

	t.Run("the password is required", func(t *testing.T) {
		without := deployComposeEnv()
		delete(without, "POSTGRES_PASSWORD")
		_, err := deployLoadCompose(t, without)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "POSTGRES_PASSWORD")
	})

	t.Run("no secret in the file", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
		require.NoError(t, err)
		assert.NotContains(t, string(raw), env["POSTGRES_PASSWORD"])
		// KEY: value and KEY=value, outside comments, for secret-looking
		// names: the value must be empty or a ${...} interpolation.
		secretish := regexp.MustCompile(`^\s*(?:-\s*)?["']?([A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN|PRIVATE|KEY)[A-Z0-9_]*)["']?\s*[:=]\s*(.*)$`)
		interpolation := regexp.MustCompile(`^\$\{[A-Z0-9_]+(?:(?::?[-?])[^}]*)?\}$`)
		for i, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			m := secretish.FindStringSubmatch(line)
			if m == nil || strings.HasSuffix(m[1], "_FILE") || strings.HasSuffix(m[1], "_FILES") {
				continue
			}
			v := strings.Trim(strings.TrimSpace(m[2]), `"'`)
			assert.Truef(t, v == "" || interpolation.MatchString(v),
				"docker-compose.yml:%d: %s has a literal value; take it from .env with ${%s}", i+1, m[1], m[1])
		}
		// The same on the model before interpolation, whatever the syntax.
		model, err := func() (map[string]any, error) {
			details := types.ConfigDetails{
				WorkingDir:  root,
				ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
				Environment: types.Mapping(env),
			}
			return loader.LoadModelWithContext(context.Background(), details, func(o *loader.Options) {
				o.SkipInterpolation = true
				o.SkipResolveEnvironment = true
			})
		}()
		require.NoError(t, err)
		services, _ := model["services"].(map[string]any)
		require.NotEmpty(t, services)
		name := regexp.MustCompile(`PASSWORD|SECRET|TOKEN|PRIVATE`)
		for svc, s := range services {
			envs, _ := s.(map[string]any)["environment"].(map[string]any)
			for k, v := range envs {
				if !name.MatchString(k) || v == nil {
					continue
				}
				str, _ := v.(string)
				assert.Truef(t, str == "" || interpolation.MatchString(str),
					"%s: environment %s=%q is a literal", svc, k, str)
			}
		}
	})
}

// dockerInstruction is one logical Dockerfile line: continuation lines
// joined, comments dropped.
type dockerInstruction struct {
	cmd   string // upper case
	args  string
	stage int // index of the FROM it belongs to
}

func deployParseDockerfile(t *testing.T) []dockerInstruction {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(deployRoot(t), "Dockerfile"))
	require.NoError(t, err)
	var out []dockerInstruction
	var cur strings.Builder
	stage := -1
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, dockerInstruction{cmd: cmd, args: strings.TrimSpace(args), stage: stage})
	}
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // comments, also between continuation lines
		}
		if body, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return out
}

// deployExecForm parses a JSON exec form such as ["auth-service", "serve"].
func deployExecForm(t *testing.T, s string) []string {
	t.Helper()
	var v []string
	require.NoErrorf(t, json.Unmarshal([]byte(s), &v), "not an exec form: %s", s)
	return v
}

func TestDockerfileShape(t *testing.T) {
	ins := deployParseDockerfile(t)
	of := func(cmd string) []dockerInstruction {
		var r []dockerInstruction
		for _, i := range ins {
			if i.cmd == cmd {
				r = append(r, i)
			}
		}
		return r
	}
	froms := of("FROM")
	require.GreaterOrEqual(t, len(froms), 2, "multi-stage")
	final := froms[len(froms)-1].stage
	assert.Contains(t, froms[0].args, "golang:")
	assert.Contains(t, froms[len(froms)-1].args, "debian:bookworm-slim")

	inStage := func(cmd string, stage int) []dockerInstruction {
		var r []dockerInstruction
		for _, i := range of(cmd) {
			if i.stage == stage {
				r = append(r, i)
			}
		}
		return r
	}
	runs := func(stage int, substr string) bool {
		return slices.ContainsFunc(inStage("RUN", stage), func(i dockerInstruction) bool {
			return strings.Contains(i.args, substr)
		})
	}

	t.Run("build stage", func(t *testing.T) {
		var build dockerInstruction
		for _, r := range of("RUN") {
			if strings.Contains(r.args, "go build") {
				build = r
			}
		}
		require.NotEmpty(t, build.args, "a RUN with go build")
		assert.NotEqual(t, final, build.stage, "built in a stage of its own")
		for _, want := range []string{
			"CGO_ENABLED=0", "-trimpath",
			"--mount=type=cache,target=/go/pkg/mod",
			"--mount=type=cache,target=/root/.cache/go-build",
			"-X main.version=${VERSION}", "-X main.commit=${COMMIT}",
			"./cmd/auth-service",
		} {
			assert.Contains(t, build.args, want)
		}
		args := map[string]bool{}
		for _, a := range inStage("ARG", build.stage) {
			name, _, _ := strings.Cut(a.args, "=")
			args[name] = true
		}
		assert.True(t, args["VERSION"] && args["COMMIT"], "ARG VERSION and ARG COMMIT in the build stage")
	})

	t.Run("runtime stage", func(t *testing.T) {
		// pg_dump must not be older than the server of the compose file.
		p, err := deployLoadCompose(t, deployComposeEnv())
		require.NoError(t, err)
		image := p.Services["auth-db"].Image
		_, tag, ok := strings.Cut(image, ":")
		require.True(t, ok, "auth-db image %q has a tag", image)
		major, _, _ := strings.Cut(tag, ".")
		assert.True(t, runs(final, "postgresql-client-"+major), "postgresql-client-%s for %s", major, image)
		assert.True(t, runs(final, "ca-certificates"))
		assert.True(t, runs(final, "tzdata"), "tzdata for BACKUP_TZ")

		assert.True(t, slices.ContainsFunc(inStage("RUN", final), func(i dockerInstruction) bool {
			return regexp.MustCompile(`chown\s+(-R\s+)?\S+\s+([^&;]*\s)?/app/backups`).MatchString(i.args)
		}), "/app/backups chowned to the service user")
		assert.True(t, runs(final, "chmod 0700 /app/backups") || runs(final, "chmod 700 /app/backups"))

		copies := inStage("COPY", final)
		require.NotEmpty(t, copies)
		for _, c := range copies {
			assert.Contains(t, c.args, "--from=", "the runtime copies only from the build stage: %s", c.args)
		}

		users := inStage("USER", final)
		require.NotEmpty(t, users, "USER in the runtime stage")
		user, _, _ := strings.Cut(users[len(users)-1].args, ":")
		assert.NotContains(t, []string{"", "root", "0"}, user, "non-root USER")
		// The user is set after the last RUN, so nothing runs as root later.
		lastUser, lastRun := -1, -1
		for n, i := range ins {
			switch {
			case i.stage == final && i.cmd == "USER":
				lastUser = n
			case i.stage == final && i.cmd == "RUN":
				lastRun = n
			}
		}
		assert.Greater(t, lastUser, lastRun)

		workdirs := inStage("WORKDIR", final)
		require.NotEmpty(t, workdirs)
		assert.Equal(t, "/app", workdirs[len(workdirs)-1].args)

		hc := inStage("HEALTHCHECK", final)
		require.Len(t, hc, 1)
		flags, cmd, ok := strings.Cut(hc[0].args, "CMD ")
		require.True(t, ok, "HEALTHCHECK ... CMD [...]: %s", hc[0].args)
		assert.Equal(t, []string{"auth-service", "healthcheck"}, deployExecForm(t, strings.TrimSpace(cmd)))
		for _, f := range []string{"--interval=", "--timeout=", "--start-period="} {
			assert.Contains(t, flags, f)
		}

		ep := inStage("ENTRYPOINT", final)
		require.NotEmpty(t, ep)
		assert.Equal(t, []string{"auth-service"}, deployExecForm(t, ep[len(ep)-1].args))
		cmds := inStage("CMD", final)
		require.NotEmpty(t, cmds)
		assert.Equal(t, []string{"serve"}, deployExecForm(t, cmds[len(cmds)-1].args))
		assert.True(t, slices.ContainsFunc(inStage("EXPOSE", final), func(i dockerInstruction) bool {
			return slices.Contains(strings.Fields(i.args), "5000")
		}), "EXPOSE 5000")
	})
}

// dockerignoreRule is one .dockerignore line, matched like Docker does
// (moby/patternmatcher): paths relative to the context root, `*` and `?`
// within one path element, `**` across elements, a pattern also excludes
// everything below a matching directory, `!` re-includes, last match wins.
type dockerignoreRule struct {
	re     *regexp.Regexp
	negate bool
}

func deployDockerignore(t *testing.T) []dockerignoreRule {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(deployRoot(t), ".dockerignore"))
	require.NoError(t, err)
	var rules []dockerignoreRule
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		negate := strings.HasPrefix(line, "!")
		line = strings.TrimPrefix(line, "!")
		line = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(line)), "/")
		var b strings.Builder
		b.WriteString("^")
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case c == '*' && i+1 < len(line) && line[i+1] == '*':
				i++
				if i+1 < len(line) && line[i+1] == '/' {
					i++
					b.WriteString("(?:.*/)?")
				} else {
					b.WriteString(".*")
				}
			case c == '*':
				b.WriteString("[^/]*")
			case c == '?':
				b.WriteString("[^/]")
			default:
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		b.WriteString("$")
		rules = append(rules, dockerignoreRule{re: regexp.MustCompile(b.String()), negate: negate})
	}
	require.NotEmpty(t, rules)
	return rules
}

func deployIgnored(rules []dockerignoreRule, path string) bool {
	ignored := false
	for _, r := range rules {
		p := path
		for {
			if r.re.MatchString(p) {
				ignored = !r.negate
				break
			}
			i := strings.LastIndex(p, "/")
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	return ignored
}

func TestDockerignore(t *testing.T) {
	root := deployRoot(t)
	rules := deployDockerignore(t)

	for _, p := range []string{
		".env", ".env.local", "cmd/auth-service/.env",
		".secrets/jwt-dev-signing-key.pem", "secrets/jwt-signing-key.pem", "signing.key",
		"backups", "backups/auth_db_backup_inicial.sql", "backups/auth_db_backup_inicial.sql.sha256",
		"backups/auth_db_backup_12-30_01-02-2026.dump", "backups/cron.log",
		"auth_db_backup_inicial.sql", "some/where/x.dump", "dump.sql",
		"mail/x.eml", ".pgdata/PG_VERSION", "bin/auth-service", ".git/HEAD",
		"cover.out", "test/coverage.html",
	} {
		assert.Truef(t, deployIgnored(rules, p), "%s must not reach the build context", p)
	}
	for _, p := range []string{
		"go.mod", "go.sum", "cmd/auth-service/main.go", "migrations",
		"migrations/00001_init.sql", "migrations/embed.go", ".env.example",
	} {
		assert.Falsef(t, deployIgnored(rules, p), "%s is needed by the build", p)
	}

	// Every Go file and every file a go:embed names must stay.
	embed := regexp.MustCompile(`(?m)^//go:embed\s+(.+)$`)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == ".git" || rel == ".pgdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") {
			return nil
		}
		assert.Falsef(t, deployIgnored(rules, rel), "%s is excluded from the build context", rel)
		if strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range embed.FindAllStringSubmatch(string(src), -1) {
			for _, pat := range strings.Fields(m[1]) {
				matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), pat))
				require.NoError(t, err)
				assert.NotEmptyf(t, matches, "%s: go:embed %s matches nothing", rel, pat)
				for _, f := range matches {
					fr, _ := filepath.Rel(root, f)
					assert.Falsef(t, deployIgnored(rules, filepath.ToSlash(fr)),
						"%s is embedded by %s but excluded from the build context", fr, rel)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
}

// deployRun runs the binary with only the environment given, in an empty
// folder, and returns its combined output and exit code.
func deployRun(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir}, env...)
	out, err := cmd.CombinedOutput()
	require.NoErrorf(t, ctx.Err(), "%v timed out: %s", args, out)
	code := 0
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAsf(t, err, &exit, "run %v", args)
		code = exit.ExitCode()
	}
	return string(out), code
}

func TestBinaryBuildsLikeTheDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root := deployRoot(t)
	bin := filepath.Join(t.TempDir(), "auth-service")
	// The flags of the Dockerfile's build stage and of `make build`.
	build := exec.Command("go", "build", "-trimpath",
		"-ldflags", "-s -w -X main.version=test-1.2.3 -X main.commit=abc123",
		"-o", bin, "./cmd/auth-service")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoErrorf(t, err, "go build: %s", out)

	t.Run("build settings", func(t *testing.T) {
		info, err := buildinfo.ReadFile(bin)
		require.NoError(t, err)
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		assert.Equal(t, "0", settings["CGO_ENABLED"])
		assert.Equal(t, "true", settings["-trimpath"])
		// With -trimpath the -ldflags are not recorded; the version
		// subtest checks the stamp.
		assert.Equal(t, "auth-service/cmd/auth-service", info.Path)
	})

	t.Run("static", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("ELF check on Linux only; the image is built for Linux")
		}
		f, err := elf.Open(bin)
		require.NoError(t, err)
		defer f.Close()
		for _, p := range f.Progs {
			assert.NotEqual(t, elf.PT_INTERP, p.Type, "a dynamic loader is requested")
			assert.NotEqual(t, elf.PT_DYNAMIC, p.Type, "dynamically linked")
		}
		libs, err := f.ImportedLibraries()
		require.NoError(t, err)
		assert.Empty(t, libs, "no DT_NEEDED libraries")
	})

	t.Run("help lists the commands", func(t *testing.T) {
		out, code := deployRun(t, bin, nil, "--help")
		require.Equalf(t, 0, code, "%s", out)
		for _, c := range []string{"serve", "migrate", "backup", "version", "healthcheck"} {
			assert.Regexp(t, `(?m)^\s+`+c+`\s`, out)
		}
	})

	t.Run("version is stamped", func(t *testing.T) {
		out, code := deployRun(t, bin, nil, "version")
		require.Equalf(t, 0, code, "%s", out)
		assert.Contains(t, out, "test-1.2.3")
		assert.Contains(t, out, "abc123")
	})

	// backup status is the backup container's healthcheck: it reads only
	// BACKUP_DIR, so an unreachable database does not matter.
	statusEnv := func(dir string) []string {
		return []string{
			"BACKUP_DIR=" + dir, "BACKUP_TZ=UTC",
			"DATABASE_URL=postgres://nobody@127.0.0.1:1/none?sslmode=disable",
		}
	}
	t.Run("backup status without a backup", func(t *testing.T) {
		out, code := deployRun(t, bin, statusEnv(t.TempDir()), "backup", "status", "--env-file", "/nonexistent")
		assert.NotEqualf(t, 0, code, "%s", out)
		assert.Contains(t, out, "NOT FRESH")
	})

	t.Run("backup status with a fresh backup", func(t *testing.T) {
		dir := t.TempDir()
		name := "auth_db_backup_" + time.Now().UTC().Format("15-04_02-01-2006") + ".dump"
		body := []byte("PGDMP stand-in: status checks the checksum, not the content")
		sum := sha256.Sum256(body)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), body, 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".sha256"),
			[]byte(hex.EncodeToString(sum[:])+"  "+name+"\n"), 0o600))
		out, code := deployRun(t, bin, statusEnv(dir), "backup", "status", "--env-file", "/nonexistent")
		assert.Equalf(t, 0, code, "%s", out)
		assert.NotContains(t, out, "NOT FRESH")
		assert.Contains(t, out, name)
	})

	t.Run("healthcheck without an API", func(t *testing.T) {
		out, code := deployRun(t, bin, nil, "healthcheck", "--url", "http://127.0.0.1:1/readyz")
		assert.NotEqualf(t, 0, code, "%s", out)
		assert.Contains(t, out, "unhealthy")
	})
}
