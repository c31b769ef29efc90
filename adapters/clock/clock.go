// Package clock is the system clock behind ports.Clock.
package clock

import (
	"time"

	"auth-service/ports"
)

// System reads the machine's clock, in UTC.
type System struct{}

var _ ports.Clock = System{}

// New returns the system clock.
func New() System { return System{} }

// Now returns the current time in UTC.
func (System) Now() time.Time { return time.Now().UTC() }
