// Package test holds the end-to-end and black-box tests of auth-service
// and the architecture check on import direction.
package test
