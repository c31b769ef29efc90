// Package metrics owns the Prometheus registry and the service's
// collectors. Labels only ever take values from small fixed sets.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the registry and every collector the adapters update.
type Metrics struct {
	Registry        *prometheus.Registry
	HTTPRequests    *prometheus.CounterVec
	HTTPDuration    *prometheus.HistogramVec
	Logins          *prometheus.CounterVec
	RefreshOutcomes *prometheus.CounterVec
	HashDuration    prometheus.Histogram
}

// New registers the Go runtime, process and service collectors on a fresh
// registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_http_requests_total",
			Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "auth_http_request_duration_seconds",
			Help:    "HTTP request latency by route template, method and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		Logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_logins_total",
			Help: "Login attempts by outcome (success, invalid_credentials, error).",
		}, []string{"outcome"}),
		RefreshOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_refreshes_total",
			Help: "Refresh attempts by outcome (success, invalid, reused, error).",
		}, []string{"outcome"}),
	}
	m.HashDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "auth_password_hash_duration_seconds",
		Help:    "Time of one password hash or verification, waiting excluded.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	m.Registry.MustRegister(
		m.HashDuration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequests, m.HTTPDuration, m.Logins, m.RefreshOutcomes,
	)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// BackupSnapshot is what the backup collector reports.
type BackupSnapshot struct {
	LastSuccess time.Time
	Failures    int64
	Duration    time.Duration
	Size        int64
}

// backupCollector reads the backup state at each scrape, so the API shows
// what the scheduler container did.
type backupCollector struct {
	read                           func() BackupSnapshot
	last, failures, duration, size *prometheus.Desc
}

// RegisterBackups adds the backup metrics, read through read at scrape.
func (m *Metrics) RegisterBackups(read func() BackupSnapshot) {
	m.Registry.MustRegister(&backupCollector{
		read: read,
		last: prometheus.NewDesc("auth_backup_last_success_timestamp_seconds",
			"Unix time of the last successful periodic backup (0 when none).", nil, nil),
		failures: prometheus.NewDesc("auth_backup_failures_total",
			"Periodic backup runs that failed after every retry.", nil, nil),
		duration: prometheus.NewDesc("auth_backup_last_duration_seconds",
			"Duration of the last successful periodic backup.", nil, nil),
		size: prometheus.NewDesc("auth_backup_last_size_bytes",
			"Size of the last successful periodic backup.", nil, nil),
	})
}

func (c *backupCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.last
	ch <- c.failures
	ch <- c.duration
	ch <- c.size
}

func (c *backupCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.read()
	last := 0.0
	if !s.LastSuccess.IsZero() {
		last = float64(s.LastSuccess.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, last)
	ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(s.Failures))
	ch <- prometheus.MustNewConstMetric(c.duration, prometheus.GaugeValue, s.Duration.Seconds())
	ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(s.Size))
}

// RegisterDB adds the connection pool statistics of db.
func (m *Metrics) RegisterDB(db *sql.DB) {
	m.Registry.MustRegister(collectors.NewDBStatsCollector(db, "auth"))
}

// RegisterActiveSessions adds a gauge of active sessions, counted by count
// at each scrape.
func (m *Metrics) RegisterActiveSessions(count func(ctx context.Context) (int, error)) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "auth_active_sessions",
		Help: "Sessions neither revoked nor expired.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := count(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}
