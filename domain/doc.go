// Package domain holds the identity model of auth-service (users, roles,
// permissions, sessions) and the rules that need no I/O.
package domain
