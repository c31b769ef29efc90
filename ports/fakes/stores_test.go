package fakes_test

import (
	"testing"

	"auth-service/ports/fakes"
	"auth-service/ports/storetest"
)

func TestFakeStoresKeepTheContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Stores {
		return storetest.Stores{Users: fakes.NewUsers(), Sessions: fakes.NewSessions()}
	})
}
