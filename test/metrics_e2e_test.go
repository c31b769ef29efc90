//go:build integration

package test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uuidish matches anything that looks like an id or a raw value that must
// never become a label.
var uuidish = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-|@|eyJ`)

func TestMetricsSeriesAndBoundedLabels(t *testing.T) {
	s := startServer(t)
	s.register("metrics@example.com")
	access, _ := s.login("metrics@example.com")
	s.call("POST", "/v1/auth/login", "", creds{"metrics@example.com", "wrong password here"})
	list := s.call("GET", "/v1/users/me/sessions", access, nil)
	require.Equal(t, http.StatusOK, list.Status)
	id := list.JSON["items"].([]any)[0].(map[string]any)["id"].(string)
	s.call("DELETE", "/v1/users/me/sessions/"+id+"x", access, nil)
	s.call("GET", "/v1/no/such/"+id, "", nil)

	m := s.call("GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, m.Status)
	text := string(m.Raw)

	for _, series := range []string{
		`auth_http_requests_total{method="POST",route="/v1/auth/register",status="201"} 1`,
		`auth_http_requests_total{method="DELETE",route="/v1/users/me/sessions/{id}",status="404"} 1`,
		`auth_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`auth_http_request_duration_seconds_bucket{method="POST",route="/v1/auth/login",status="401",le=`,
		`auth_logins_total{outcome="success"} 1`,
		`auth_logins_total{outcome="invalid_credentials"} 1`,
		`auth_active_sessions 1`,
		`auth_password_hash_duration_seconds_count `,
		`go_sql_open_connections{db_name="auth"}`,
		`auth_backup_last_success_timestamp_seconds `,
		`auth_backup_failures_total `,
	} {
		assert.Contains(t, text, series)
	}

	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") || !strings.Contains(line, "{") {
			continue
		}
		labels := line[strings.Index(line, "{"):strings.LastIndex(line, "}")]
		assert.False(t, uuidish.MatchString(labels), "unbounded label value: %s", line)
	}
}
