// Package application holds the use cases of auth-service. It depends only
// on domain and ports, so every rule here is tested with fakes.
package application
