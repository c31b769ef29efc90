package fakes_test

import (
	"testing"

	"auth-service/ports/fakes"
	"auth-service/ports/storetest"
)

func TestFakeStoresKeepTheContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Stores {
		users := fakes.NewUsers()
		return storetest.Stores{
			Users:    users,
			Sessions: fakes.NewSessions(),
			Admin:    users,
			Roles:    fakes.NewRoles(users),
			Resets:   &fakes.Resets{},
			Audit:    &fakes.Audit{},
		}
	})
}
