package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func (c *cli) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit stamped at build time",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintf(c.out, "auth-service %s (commit %s)\n", version, commit)
		},
	}
}

// healthcheckCmd lets a container check the API with the binary itself,
// so the image needs no curl.
func (c *cli) healthcheckCmd() *cobra.Command {
	var url string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the API answers 200 on /readyz (the container HEALTHCHECK)",
		Long: "Asks the running API for /readyz, at --url or else at HTTP_ADDR on the\n" +
			"loopback address, and exits 0 only on 200.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				cfg, _, err := c.load()
				if err != nil {
					return err
				}
				_, port, err := net.SplitHostPort(cfg.HTTPAddr)
				if err != nil {
					return fmt.Errorf("HTTP_ADDR: %w", err)
				}
				url = "http://127.0.0.1:" + port + "/readyz"
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("unhealthy: %w", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("unhealthy: %s answered %s", url, resp.Status)
			}
			fmt.Fprintf(c.out, "healthy: %s answered %s\n", url, resp.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "URL to check (default: /readyz on HTTP_ADDR's port)")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for an answer")
	return cmd
}
